"""The ``ldn-stats`` command line.

Each subcommand is a thin wrapper over the library.  Errors the package raises
on purpose (:class:`ldn_stats.errors.LdnStatsError`) are printed as a message
on standard error with exit status 1 and no traceback; anything else is a bug,
reported in one line with exit status 2 (set ``LDN_STATS_DEBUG=1`` for the
traceback).

Examples
--------
>>> from ldn_stats.cli import main
>>> main(["--version"])
ldn-stats 0.1.0
0
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from ldn_stats import __version__
from ldn_stats.errors import LdnStatsError


def _cmd_validate(args: argparse.Namespace) -> int:
    from ldn_stats.trial import read_trial

    trial = read_trial(args.path, strict=args.strict)
    print(trial.summary())
    return 0


def _cmd_simulate(args: argparse.Namespace) -> int:
    from ldn_stats.io import write_tables
    from ldn_stats.simulate import simulate_trial
    from ldn_stats.trial import TABLES

    tables = simulate_trial(args.preset, seed=args.seed)
    write_tables(tables, args.out_dir, force=args.force,
                 replaceable=[f"{name}.csv" for name in TABLES])
    n = len(tables["adsl"])
    print(f"OK {args.preset} seed={args.seed}: {n} subjects written to {args.out_dir}")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from ldn_stats.report import run_spec

    for path in run_spec(args.spec, out_root=args.out):
        print(path)
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from ldn_stats.report import build_report

    for path in build_report(args.analyses, out_root=args.out):
        print(path)
    return 0


def _cmd_derive(args: argparse.Namespace) -> int:
    # analysis datasets out (issue 14): read, derive, check, then write the folder atomically
    from ldn_stats.export import analysis_datasets, rules_provenance, write_datasets
    from ldn_stats.report.contract import display_path
    from ldn_stats.trial import read_trial

    trial_dir, out = args.trial.resolve(), args.out.resolve()
    if out == trial_dir or trial_dir.is_relative_to(out):
        raise LdnStatsError(f"--out {args.out}: would replace the trial folder {args.trial}; "
                            "choose a folder outside it")
    from ldn_stats.derive import DeriveRules

    rules = DeriveRules()
    trial = read_trial(args.trial)
    datasets = analysis_datasets(trial, params=args.param, rules=rules)
    provenance = {"trial": display_path(args.trial), "design": trial.design,
                  "parameters": sorted({p for d in datasets for p in d.frame["PARAMCD"]}),
                  "ldn_stats": __version__, "rules": rules_provenance(rules)}
    for path in write_datasets(datasets, args.out, args.format, provenance):
        print(path)
    return 0


def _cmd_power(args: argparse.Namespace) -> int:
    from ldn_stats.power import load_design_spec, run_power
    from ldn_stats.power.run import ensure_design_page

    if args.replicates is not None and args.replicates < 1:
        raise LdnStatsError(f"--replicates: expected an integer >= 1, found {args.replicates}")
    if args.workers is not None and args.workers < 0:
        raise LdnStatsError(f"--workers: expected an integer >= 0, found {args.workers}")
    if args.quick:  # the quick page, unless a current page (a full run, say) exists
        spec = ensure_design_page(args.spec, args.out, workers=args.workers,
                                  scheduler=args.scheduler)
        print(Path(args.out) / spec.name / "index.html")
        return 0
    spec = load_design_spec(args.spec)
    run = run_power(spec, args.out, replicates=args.replicates, workers=args.workers,
                    scheduler=args.scheduler)
    for path in run.files:
        print(path)
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ldn-stats", description="Analyse low-dose naltrexone pain trials."
    )
    p.add_argument("--version", action="version", version=f"ldn-stats {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="validate a trial folder (adsl, adeff, adae)")
    v.add_argument("path", type=Path, help="folder holding the trial tables")
    v.add_argument("--strict", action="store_true",
                   help="refuse what is otherwise a note (USUBJIDs differing only in case)")
    v.set_defaults(func=_cmd_validate)

    s = sub.add_parser("simulate", help="simulate a trial from a calibrated preset")
    s.add_argument("--preset", required=True, help="preset name, e.g. final or younger2013")
    s.add_argument("--seed", required=True, type=int, help="random seed (integer)")
    s.add_argument("out_dir", type=Path, help="folder to write adsl.csv, adeff.csv, adae.csv")
    s.add_argument("--force", action="store_true",
                   help="write into a folder that holds other files (they are left alone)")
    s.set_defaults(func=_cmd_simulate)

    r = sub.add_parser("run", help="run one analysis spec (TOML)")
    r.add_argument("spec", type=Path)
    r.add_argument("--out", type=Path, default=Path("reports"), help="output root")
    r.set_defaults(func=_cmd_run)

    d = sub.add_parser("derive", help="write the derived analysis datasets (ADEFFANL ...) "
                       "with labels and a data dictionary")
    d.add_argument("trial", type=Path, help="trial folder (adsl, adeff, adae)")
    d.add_argument("--out", type=Path, required=True,
                   help="folder to create or replace with the datasets and dictionary")
    d.add_argument("--format", choices=("xpt", "parquet", "csv"), default="xpt",
                   help="xpt: SAS transport v5 (8-character names, 40-character labels)")
    d.add_argument("--param", action="append", metavar="PARAMCD",
                   help="parameter to derive (repeatable); every PARAMCD by default")
    d.set_defaults(func=_cmd_derive)

    w = sub.add_parser("power", help="trial design by simulation: power, type I error, bias")
    w.add_argument("spec", type=Path, help="design spec (TOML)")
    w.add_argument("--out", type=Path, default=Path("reports"), help="output root")
    n = w.add_mutually_exclusive_group()
    n.add_argument("--replicates", type=int, help="replicates per scenario (default: the spec's)")
    n.add_argument("--quick", action="store_true",
                   help="the spec's design.quick_replicates (the quick build of make report); "
                   "keeps a current page of any replicate count")
    c = w.add_mutually_exclusive_group()
    c.add_argument("--workers", type=int,
                   help="embedded LocalCluster workers (default: one per core; 0: serial)")
    c.add_argument("--scheduler", help="address of a running Dask scheduler, e.g. "
                   "tcp://127.0.0.1:8786")
    w.set_defaults(func=_cmd_power)

    a = sub.add_parser("report", help="run every spec and assemble the appendix")
    a.add_argument("--analyses", type=Path, default=Path("analyses"))
    a.add_argument("--out", type=Path, default=Path("reports"), help="output root")
    a.set_defaults(func=_cmd_report)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; ``sys.argv[1:]`` when omitted.

    Returns
    -------
    int
        0 on success, 1 for a data, spec or model error, 2 for an internal error.
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version or a usage error
        return int(exc.code or 0)
    previous = _on_sigterm_unwind()
    try:
        return int(args.func(args))
    except LdnStatsError as exc:
        print(f"ldn-stats {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except _Terminated:
        print("ldn-stats: terminated", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print("ldn-stats: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print(f"ldn-stats {args.command}: error: out of memory; the data or model is too large "
              "for this machine", file=sys.stderr)
        return 1
    except OSError as exc:  # the file system refused: the user's environment, not a bug
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"ldn-stats {args.command}: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug, not a user error: one line unless debugging
        if os.environ.get("LDN_STATS_DEBUG"):
            raise
        print(
            f"ldn-stats {args.command}: internal error: {type(exc).__name__}: {exc} "
            "(set LDN_STATS_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 2
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


class _Terminated(BaseException):
    """Raised in the main thread on SIGTERM, so ``finally`` blocks remove temporary output."""


def _raise_terminated(signum, frame):  # pragma: no cover - exercised in a subprocess
    raise _Terminated


def _on_sigterm_unwind():
    """Make SIGTERM unwind the stack (cleaning temporary folders); return the old handler."""
    if threading.current_thread() is not threading.main_thread():
        return None
    try:
        return signal.signal(signal.SIGTERM, _raise_terminated)
    except (ValueError, OSError, AttributeError):  # pragma: no cover - no signals here
        return None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
