"""Results table, power curves and the design page of a power run.

Everything is rendered from the summaries only (no timestamps, no paths of
the machine), so the same spec and replicate count give the same bytes.
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from ldn_stats.io import atomic_output_dir
from ldn_stats.power.spec import DesignSpec

__all__ = ["PARAM_LABELS", "power_table", "write_outputs"]

#: display labels of the scenario keys
PARAM_LABELS = {"n_per_arm": "n per arm", "effect": "Effect", "dropout_rate": "Dropout",
                "dropout_mechanism": "Mechanism", "dropout_strength": "Dropout strength",
                "weeks": "Weeks", "design": "Design", "period_days": "Period days",
                "washout_days": "Washout days", "responder_share": "Responders"}


def _f(x: Any, d: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.{d}f}"


def _ci(p: float, lo: float, hi: float) -> str:
    return "-" if math.isnan(p) else f"{p:.3f} ({lo:.3f}, {hi:.3f})"


def power_table(spec: DesignSpec, results: pd.DataFrame, replicates: int):
    """The results as a :class:`~ldn_stats.tables.table.Table` (numbers and display)."""
    from ldn_stats.tables.table import Table

    keys = list(spec.grid)
    disp = pd.DataFrame({PARAM_LABELS[k]: results[k].astype(str) for k in keys})
    disp["Power (95% CI)"] = [_ci(p, lo, hi) for p, lo, hi in
                              zip(results.power, results.power_ci_low, results.power_ci_high,
                                  strict=True)]
    disp["Type I error (95% CI)"] = [_ci(p, lo, hi) for p, lo, hi in
                                     zip(results.type1, results.type1_ci_low,
                                         results.type1_ci_high, strict=True)]
    if spec.analysis.kind == "crossover":
        disp["Analytic 2x2"] = [_f(v) for v in results.power_crossover]
    else:
        disp["Analytic t"] = [_f(v) for v in results.power_t]
        disp["Analytic ANCOVA"] = [_f(v) for v in results.power_ancova]
        disp["Analytic MMRM (LLC)"] = [_f(v) for v in results.power_llc]
    disp["Bias (MCSE)"] = [f"{_f(b)} ({_f(s)})" for b, s in
                           zip(results.bias, results.bias_mcse, strict=True)]
    disp["Emp. SE / model SE"] = [f"{_f(a)} / {_f(b)}" for a, b in
                                  zip(results.emp_se, results.mean_model_se, strict=True)]
    disp["Coverage"] = [_f(v) for v in results.coverage]
    disp["Failed"] = [f"{_f(s, 3)}" + (f" ({t})" if t else "") for s, t in
                      zip(results.fail_share, results.failures, strict=True)]
    a = spec.analysis
    model = (f"MMRM {a.formula}, {a.df_method}" if a.kind == "mmrm" else
             f"ANCOVA {a.formula} at the last visit" if a.kind == "ancova" else
             f"crossover mixed model of {a.outcome}, {a.df_method}")
    mc = 0.5 / math.sqrt(replicates)
    notes = (
        f"Replicates per scenario: {replicates}; Monte-Carlo SE of a power estimate at most "
        f"{mc:.3f} (0.5 / sqrt(replicates)).",
        f"Analysis of each simulated trial: {model}; contrast {spec.active} - {spec.control} "
        f"at the last visit, two-sided alpha = {spec.alpha}.",
        "Power: share of successful fits rejecting no effect; type I error: the same for the "
        "scenario with effect 0 and otherwise equal parameters. Intervals: Clopper-Pearson.",
        "Analytic: two-sample t and ANCOVA (completers at the last visit), Lu, Luo and Chen "
        "(2008) MMRM with dropout, 2x2 crossover from the within-subject SD; variances from "
        f"a pilot trial of {spec.pilot_n_per_arm} per arm.",
        "Failed: share of replicates whose analysis raised an error, by error type; power and "
        "summaries use the successful fits.",
        "Bias and coverage against the true effect of twin trials (same seed with and without "
        f"the effect, {spec.truth_n_per_arm} subjects on the active drug).",
    )
    return Table(f"{spec.number}.1", "results",
                 f"{spec.title}: simulated operating characteristics", results, disp, notes)


def power_curves(spec: DesignSpec, results: pd.DataFrame, replicates: int) -> dict[str, bytes]:
    """Power against n per arm, one line per effect, 95% Monte-Carlo bands; analytic dashed."""
    from matplotlib.figure import Figure

    from ldn_stats.figures.style import figure_style, save_figure

    others = [k for k in spec.grid if k not in ("n_per_arm", "effect") and len(spec.grid[k]) > 1]
    panels = (results[others].drop_duplicates().to_dict("records") if others else [{}])
    analytic = "power_crossover" if spec.analysis.kind == "crossover" else "power_llc" \
        if spec.analysis.kind == "mmrm" else "power_ancova"
    with figure_style():
        fig = Figure(figsize=(4.2 * len(panels), 3.6))
        axes = fig.subplots(1, len(panels), squeeze=False)[0]
        for ax, panel in zip(axes, panels, strict=True):
            sub = results
            for k, v in panel.items():
                sub = sub[sub[k] == v]
            ecol = "effect" if "effect" in sub else "true_effect"
            for effect in sorted({e for e in sub[ecol] if e != 0}, key=abs):
                g = sub[sub[ecol] == effect]
                x = g["n_per_arm"] if "n_per_arm" in g else pd.Series([0] * len(g))
                line, = ax.plot(x, g["power"], marker="o", label=f"effect {effect:g}")
                ax.fill_between(x, g["power_ci_low"], g["power_ci_high"],
                                color=line.get_color(), alpha=0.2, linewidth=0)
                ax.plot(x, g[analytic], linestyle="--", color=line.get_color(), linewidth=1)
            nulls = sub[sub[ecol] == 0]
            if len(nulls) and "n_per_arm" in nulls:
                ax.plot(nulls["n_per_arm"], nulls["type1"], marker="x", color="0.4",
                        label="type I error")
            ax.axhline(0.8, color="0.7", linewidth=0.8)
            ax.set_ylim(0, 1)
            ax.set_xlabel("n per arm")
            ax.set_ylabel("power")
            ax.set_title(", ".join(f"{PARAM_LABELS[k]} {v}" for k, v in panel.items()) or
                         spec.title, fontsize=9)
            ax.legend(fontsize=7, loc="lower right")
        fig.suptitle(f"{replicates} replicates per scenario; bands: 95% Monte-Carlo "
                     "interval (Clopper-Pearson); dashed: analytic", fontsize=8)
        return save_figure(fig, ("png", "svg"))


def _page(spec: DesignSpec, replicates: int, table_html: str, results: pd.DataFrame) -> str:
    e = html.escape
    mc = 0.5 / math.sqrt(replicates)
    full = replicates >= spec.replicates
    status = ("Full run" if full else
              f"QUICK BUILD: {replicates} replicates per scenario (the full run has "
              f"{spec.replicates}; `make power` builds it). Estimates below are rough")
    fails = int((results["fail_share"] * results["replicates"]).round().sum())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{e(spec.title)}</title>
<style>body{{font-family:sans-serif;max-width:75em;margin:2em auto}}
table.ldn{{border-collapse:collapse;font-size:85%}}
table.ldn td,table.ldn th{{border:1px solid #bbb;padding:2px 6px}}
.status{{font-weight:bold;padding:.5em;border:2px solid #c60}}</style></head>
<body>
<h1>{e(spec.title)}</h1>
<p class="status">{e(status)}. Replicates per scenario: {replicates}.
Monte-Carlo SE of a power estimate: at most {_f(mc)} (0.5 / sqrt(replicates)).
Failed analyses: {fails} of {int(results["replicates"].sum())}.</p>
<p>Design spec <code>{e(spec.source)}</code> (SHA-256 {spec.sha256[:12]}), simulator preset
<code>{e(spec.preset)}</code>, root seed {spec.seed}; {len(results)} scenarios.
Each replicate simulates a trial and runs the package's analysis
(<code>{e(spec.analysis.kind)}</code>, the registered analysis kind, as
<code>ldn-stats run</code> runs it). A scenario's effect is the drug's full effect after
titration in scale points (the simulator's proportional effect times the mean entry pain
level). The true value of the contrast at the primary time point (<code>true_effect</code>,
against which bias and coverage are judged) is measured on twin trials of
{spec.truth_n_per_arm} subjects simulated with the same seed with and without the effect, so
stops for adverse events and clipping at the scale's ends are included.</p>
{table_html}
<h2>Power curves</h2>
<p><img src="figures/power_curves.svg" alt="power against n per arm"></p>
</body></html>
"""


#: file of the power run's catalogue, the same shape as an analysis's (read by the appendix)
OUTPUTS_FILE = "outputs.json"


def _catalogue(spec: DesignSpec, table: Any, replicates: int, fingerprint: str,
               figure_title: str, figure_note: str) -> dict[str, Any]:
    a = spec.analysis
    full = replicates >= spec.replicates
    estimand = (f"Operating characteristics of the {a.kind} analysis ({a.formula or a.outcome}) "
                f"of trials simulated from preset {spec.preset!r}: power and type I error of "
                f"the {spec.active} - {spec.control} test at the primary time point, bias, "
                f"empirical vs model SE and CI coverage, by scenario. "
                f"{replicates} replicates per scenario"
                + ("." if full else f" (QUICK BUILD; the full run has {spec.replicates})."))
    return {
        "analysis": spec.name, "number": spec.number, "title": spec.title,
        "estimand": estimand, "spec": {"file": spec.source, "sha256": spec.sha256},
        "trial": f"simulated (preset {spec.preset}, root seed {spec.seed})", "inputs": {},
        "seed": spec.seed, "population": "ITTFL", "parameter": "",
        "model": {"kind": a.kind, "formula": a.formula or "", "df_method": a.df_method},
        "replicates": replicates, "full_replicates": spec.replicates,
        "tables": [{
            "number": table.number, "key": table.key, "title": table.title,
            "caption": table.caption, "footnotes": list(table.footnotes),
            "columns": [str(c) for c in table.display.columns],
            "rows": [[str(v) for v in row] for row in table.display.itertuples(index=False)],
            "files": [f"results.{ext}" for ext in ("csv", "md", "html")],
        }],
        "figures": [{
            "number": f"{spec.number}.1", "key": "power_curves", "title": figure_title,
            "caption": f"Figure {spec.number}.1. {figure_title}. {figure_note}",
            "files": ["figures/power_curves.png", "figures/power_curves.svg"],
        }],
        "notes": [f"Design by simulation: {replicates} replicates per scenario; Monte-Carlo "
                  f"SE of a power estimate at most {0.5 / math.sqrt(replicates):.3f}."],
        "fingerprint": fingerprint,
    }


def write_outputs(spec: DesignSpec, out: Path, replicates: int, results: pd.DataFrame,
                  replicates_csv: str, pilots: dict, pilot_of: dict[int, str],
                  fingerprint: str = "") -> list[Path]:
    """Write ``out/<name>/`` atomically; return the files, sorted."""
    from ldn_stats.tables.render import RENDERERS, to_html

    table = power_table(spec, results, replicates)
    files: dict[str, bytes] = {}
    for ext in ("csv", "md", "html"):
        data = RENDERERS[ext](table)
        files[f"results.{ext}"] = data if isinstance(data, bytes) else data.encode()
    files["replicates.csv"] = replicates_csv.encode()
    for ext, data in power_curves(spec, results, replicates).items():
        files[f"figures/power_curves.{ext}"] = data
    files["index.html"] = _page(spec, replicates, to_html(table, standalone=False),
                                results).encode()
    run = {"design": spec.name, "spec": {"file": spec.source, "sha256": spec.sha256},
           "replicates": replicates, "full_replicates": spec.replicates, "seed": spec.seed,
           "analysis": spec.analysis.as_dict(), "alpha": spec.alpha,
           "scenarios": len(results),
           "pilots": {k: pilots[v] for k, v in sorted(
               {str(i): p for i, p in pilot_of.items()}.items())}}
    files["run.json"] = (json.dumps(run, sort_keys=True, indent=2) + "\n").encode()
    cat = _catalogue(spec, table, replicates, fingerprint,
                     "Simulated power against n per arm, by effect",
                     "Bands: 95% Monte-Carlo interval of the simulated power (Clopper-Pearson); "
                     "dashed: analytic power (LLC for the MMRM); crosses: type I error of the "
                     "null scenarios.")
    files[OUTPUTS_FILE] = (json.dumps(cat, sort_keys=True, indent=2, ensure_ascii=False)
                           + "\n").encode()
    target = Path(out) / spec.name
    with atomic_output_dir(target) as tmp:
        (Path(tmp) / "figures").mkdir()
        for name, data in files.items():
            (Path(tmp) / name).write_bytes(data)
    return sorted(target / n for n in files)
