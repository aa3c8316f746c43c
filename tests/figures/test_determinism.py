"""Figures: same bytes on every render and in a fresh process; no dates; the palette."""

from __future__ import annotations

import os
import subprocess
import sys

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from ldn_stats.figures import plots
from ldn_stats.figures.style import OKABE_ITO, arm_colours, save_figure

SCRIPT = """
import numpy as np, pandas as pd, hashlib
from ldn_stats.figures import plots
from ldn_stats.figures.style import save_figure
rng = np.random.default_rng(0)
fig = plots.residual_plot(rng.normal(size=40), rng.normal(size=40))
files = save_figure(fig)
print(" ".join(hashlib.sha256(files[k]).hexdigest() for k in ("png", "svg", "pdf")))
"""


def _hashes() -> str:
    import hashlib

    rng = np.random.default_rng(0)
    fig = plots.residual_plot(rng.normal(size=40), rng.normal(size=40))
    files = save_figure(fig)
    plt.close(fig)
    return " ".join(hashlib.sha256(files[k]).hexdigest() for k in ("png", "svg", "pdf"))


def test_same_bytes_in_a_fresh_process():
    # a new interpreter has a new hash seed and new object ids: the SVG ids must not depend
    # on them (svg.hashsalt), nor any format on the clock
    env = {**os.environ, "PYTHONHASHSEED": "123", "MPLBACKEND": "Agg"}
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         check=True, env=env)
    assert out.stdout.strip() == _hashes()


def test_no_dates_in_metadata():
    fig = plots.heatmap_plot(pd.DataFrame([[1.0, 0.5], [0.5, 1.0]], index=["a", "b"],
                                          columns=["a", "b"]), "t")
    files = save_figure(fig)
    plt.close(fig)
    assert b"<dc:date>" not in files["svg"]
    assert b"CreationDate" not in files["pdf"] and b"ModDate" not in files["pdf"]
    assert b"ldn_stats" in files["pdf"] and b"ldn_stats" in files["png"]
    assert b"Matplotlib v" not in files["png"]


def test_palette_is_okabe_ito_with_grey_reference():
    c = arm_colours(["PBO", "LDN", "LDN-HIGH"], reference="PBO")
    assert c == {"LDN": OKABE_ITO[0], "LDN-HIGH": OKABE_ITO[1], "PBO": "#7F7F7F"}
    assert arm_colours(["B", "A"]) == {"A": OKABE_ITO[0], "B": OKABE_ITO[1]}


@pytest.mark.parametrize("name", ["trajectories", "responder", "waterfall", "forest",
                                  "crossover", "within"])
def test_each_plot_renders(name):
    rng = np.random.default_rng(3)
    n = 12
    long = pd.DataFrame({"USUBJID": np.repeat(np.arange(n), 3), "ARM": np.repeat(["A", "B"] * 6, 3),
                         "AVISIT": ["W1", "W2", "W3"] * n, "CHG": rng.normal(-1, 1, 3 * n)})
    final = pd.DataFrame({"ARM": ["A", "B"] * 6, "PCHG": rng.normal(-25, 20, n)})
    colours = {"A": "#7F7F7F", "B": OKABE_ITO[0]}
    xo = pd.DataFrame({"USUBJID": np.repeat(np.arange(n), 2), "APERIOD": [1, 2] * n,
                       "TRTSEQP": np.repeat(["A-B", "B-A"] * 6, 2),
                       "AVAL": rng.normal(50, 10, 2 * n)})
    diffs = pd.DataFrame({"d": rng.normal(-5, 8, n), "seq": ["A-B", "B-A"] * 6})

    def make():
        if name == "trajectories":
            return plots.trajectories_plot(long, subject="USUBJID", group="ARM", visit="AVISIT",
                                           value="CHG", visits=["W1", "W2", "W3"],
                                           colours=colours, ylabel="CHG")
        if name == "responder":
            return plots.responder_curve_plot(final, group="ARM", value="PCHG", colours=colours)
        if name == "waterfall":
            return plots.waterfall_plot(final, group="ARM", value="PCHG", colours=colours)
        if name == "forest":
            eff = pd.DataFrame({"subgroup": ["All", "Site"], "level": ["", "01"], "n": [12, 6],
                                "estimate": [-0.3, -0.5], "conf_low": [-1, -1.6],
                                "conf_high": [0.4, 0.6]})
            return plots.forest_plot(eff, "difference")
        if name == "crossover":
            return plots.crossover_period_plot(xo, subject="USUBJID", period="APERIOD",
                                               sequence="TRTSEQP", value="AVAL",
                                               colours={"A-B": OKABE_ITO[0],
                                                        "B-A": OKABE_ITO[1]}, ylabel="VAS")
        return plots.within_subject_plot(diffs, value="d", group="seq",
                                         colours={"A-B": OKABE_ITO[0], "B-A": OKABE_ITO[1]},
                                         xlabel="B - A")

    fig = make()
    svg = save_figure(fig, ("svg",))["svg"]
    plt.close(fig)
    assert svg.startswith(b"<?xml") and b"<dc:date>" not in svg
