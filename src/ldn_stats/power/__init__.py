"""Trial design by simulation: power, type I error, bias and coverage of the package's analyses.

A *design spec* (TOML, :mod:`ldn_stats.power.spec`) names a simulator preset,
the parameters to vary (n per arm, effect, dropout, diary length, parallel or
crossover), the analysis each simulated trial gets and the replicate count.
:func:`run_power` simulates every scenario's replicates in chunks on Dask
``distributed`` (:mod:`ldn_stats.parallel`), persists each finished chunk,
summarises each scenario (:mod:`ldn_stats.power.summary`), puts analytic power
beside it (:mod:`ldn_stats.power.analytic`) and writes ``results.csv``, the
power curves and a design page (:mod:`ldn_stats.power.run`).  The command line
is ``ldn-stats power SPEC --out DIR``.

Examples
--------
>>> import tempfile
>>> from ldn_stats.power import parse_design_spec, run_power
>>> spec = parse_design_spec('''
... [design]
... name = "tiny"
... preset = "final"
... seed = 1
... replicates = 3
... pilot_n_per_arm = 40
... [scenarios]
... n_per_arm = 15
... effect = [0.0, -1.0]
... weeks = 5
... [analysis]
... kind = "ancova"
... formula = "CHG ~ BASE + TRT01P"
... ''')
>>> with tempfile.TemporaryDirectory() as tmp:
...     run = run_power(spec, tmp, workers=0)
...     sorted(p.name for p in run.files)[:4]
['index.html', 'outputs.json', 'power_curves.png', 'power_curves.svg']
>>> run.results["effect"].tolist(), run.results["n_ok"].tolist()
([0.0, -1.0], [3, 3])
"""

from __future__ import annotations

from ldn_stats.power.run import PowerRun, run_power
from ldn_stats.power.spec import DesignSpec, load_design_spec, parse_design_spec

__all__ = ["DesignSpec", "PowerRun", "load_design_spec", "parse_design_spec", "run_power"]
