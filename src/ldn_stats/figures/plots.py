"""The report's figures: numeric data in, a styled matplotlib Figure out.

Every function draws inside :func:`~ldn_stats.figures.style.figure_style`,
takes already-computed numbers and returns a :class:`matplotlib.figure.Figure`;
saving is :func:`~ldn_stats.figures.style.save_figure`.  Callers close figures.
``colours`` is always a mapping of group label to colour, in legend order; column
arguments (``group``, ``value``, ``subject``, ...) name columns of the data.

Examples
--------
>>> import pandas as pd
>>> s = pd.DataFrame({"visit": ["W1", "W2"] * 2, "group": ["A", "A", "B", "B"],
...                   "mean": [-0.1, -0.5, -0.2, -0.9], "conf_low": [-0.4, -0.9, -0.5, -1.4],
...                   "conf_high": [0.2, -0.1, 0.1, -0.4]})
>>> fig = mean_change_plot(s, ["W1", "W2"], {"A": "#7F7F7F", "B": "#0072B2"}, "Change")
>>> len(fig.axes)
1
>>> import matplotlib.pyplot as plt; plt.close(fig)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from ldn_stats.figures.style import REFERENCE_GREY, figure_style
from ldn_stats.vocabulary import SEQUENCE_SEPARATOR

__all__ = [
    "crossover_period_plot",
    "forest_plot",
    "heatmap_plot",
    "mean_change_plot",
    "observed_means",
    "residual_plot",
    "responder_curve_plot",
    "trajectories_plot",
    "waterfall_plot",
    "within_subject_plot",
]


def _figure(width: float = 6.0, height: float = 4.0, ncols: int = 1) -> tuple[Figure, list]:
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, list(axes)


def observed_means(data: pd.DataFrame, *, group: str, visit: str, value: str,
                   level: float = 0.95) -> pd.DataFrame:
    """Observed mean of ``value`` by group and visit with a t confidence interval.

    Parameters
    ----------
    data : pandas.DataFrame
    group, visit, value : str
        Column names.
    level : float, default 0.95

    Returns
    -------
    pandas.DataFrame
        ``visit, group, n, mean, sd, conf_low, conf_high`` (``mean -+ t(n-1) sd/sqrt(n)``).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"g": ["A"] * 3, "v": ["W1"] * 3, "y": [1.0, 2.0, 3.0]})
    >>> r = observed_means(d, group="g", visit="v", value="y")
    >>> float(r["mean"].iloc[0]), round(float(r["conf_high"].iloc[0]), 4)
    (2.0, 4.4841)
    """
    rows = []
    for (v, g), x in data.dropna(subset=[value]).groupby([visit, group], observed=True,
                                                          sort=True)[value]:
        x = x.to_numpy(float)
        n = len(x)
        mean = float(x.mean())
        sd = float(x.std(ddof=1)) if n > 1 else float("nan")
        half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / np.sqrt(n) if n > 1 else np.nan
        rows.append({"visit": str(v), "group": str(g), "n": float(n), "mean": mean, "sd": sd,
                     "conf_low": mean - half, "conf_high": mean + half})
    return pd.DataFrame(rows, columns=["visit", "group", "n", "mean", "sd", "conf_low",
                                       "conf_high"])


def mean_change_plot(summary: pd.DataFrame, visits: Sequence[str],
                     colours: Mapping[str, str], ylabel: str) -> Figure:
    """Mean (with CI bars) by visit, one line per group, groups slightly dodged.

    Parameters
    ----------
    summary : pandas.DataFrame
        ``visit, group, mean, conf_low, conf_high``.
    visits : sequence of str
        Visit labels in order (x axis).
    ylabel : str

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"visit": ["W1"], "group": ["A"], "mean": [-1.0], "conf_low": [-1.5],
    ...                   "conf_high": [-0.5]})
    >>> mean_change_plot(s, ["W1"], {"A": "#0072B2"}, "Change").axes[0].get_ylabel()
    'Change'
    """
    with figure_style():
        fig, (ax,) = _figure()
        groups = list(colours)
        pos = {v: i for i, v in enumerate(visits)}
        width = 0.08 * (len(groups) - 1)
        for k, g in enumerate(groups):
            s = summary[summary["group"] == g]
            s = s[s["visit"].isin(pos)].sort_values("visit", key=lambda c: c.map(pos))
            x = s["visit"].map(pos).to_numpy(float) - width / 2 + 0.08 * k
            y = s["mean"].to_numpy(float)
            err = np.vstack([y - s["conf_low"].to_numpy(float), s["conf_high"].to_numpy(float) - y])
            ax.errorbar(x, y, yerr=err, color=colours[g], marker="o", ms=4, capsize=2, label=g)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xticks(range(len(visits)), list(visits), rotation=45, ha="right")
        ax.set_ylabel(ylabel)
        ax.legend(title=None)
    return fig


def trajectories_plot(data: pd.DataFrame, *, subject: str, group: str, visit: str, value: str,
                      visits: Sequence[str], colours: Mapping[str, str], ylabel: str) -> Figure:
    """Each subject's line (thin) and the group mean (thick), one panel per group.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data, one row per subject and visit.
    subject, group, visit, value : str
        Column names.
    visits : sequence of str
        Visit order.
    ylabel : str

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"ID": [1, 1, 2, 2], "ARM": ["A", "A", "B", "B"], "V": ["W1", "W2"] * 2,
    ...                   "CHG": [-1.0, -2.0, 0.0, -0.5]})
    >>> fig = trajectories_plot(d, subject="ID", group="ARM", visit="V", value="CHG",
    ...                         visits=["W1", "W2"], colours={"A": "#7F7F7F", "B": "#0072B2"},
    ...                         ylabel="Change")
    >>> [ax.get_title() for ax in fig.axes]
    ['A', 'B']
    """
    groups = list(colours)
    pos = {v: i for i, v in enumerate(visits)}
    with figure_style():
        fig, axes = _figure(3.2 * len(groups), 3.6, len(groups))
        for ax, g in zip(axes, groups, strict=True):
            d = data[(data[group].astype(str) == g) & data[visit].astype(str).isin(pos)]
            d = d.assign(_x=d[visit].astype(str).map(pos)).sort_values([subject, "_x"])
            for _, s in d.groupby(subject, sort=True):
                ax.plot(s["_x"], s[value], color=colours[g], alpha=0.25, lw=0.6)
            m = d.groupby("_x")[value].mean()
            ax.plot(m.index, m.to_numpy(), color="black", lw=2.2, label="mean")
            ax.set_title(g)
            ax.set_xticks(range(len(visits)), list(visits), rotation=45, ha="right")
            ax.axhline(0, color="black", lw=0.6)
        axes[0].set_ylabel(ylabel)
        axes[-1].legend()
        for ax in axes[1:]:
            ax.sharey(axes[0])
    return fig


def responder_curve_plot(final: pd.DataFrame, *, group: str, value: str,
                         colours: Mapping[str, str]) -> Figure:
    """Proportion of subjects with at least each percent reduction (responder curve).

    Parameters
    ----------
    final : pandas.DataFrame
        One row per subject with ``value`` = percent change from baseline.

    Notes
    -----
    For reduction ``r`` in 0..100%, the curve is ``P(-PCHG >= r)`` among subjects
    with a value (the complement of the CDF of percent change).  Reference lines
    mark 30% and 50%.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"ARM": ["A", "A", "B"], "PCHG": [-40.0, -10.0, -60.0]})
    >>> fig = responder_curve_plot(d, group="ARM", value="PCHG",
    ...                            colours={"A": "#7F7F7F", "B": "#0072B2"})
    >>> fig.axes[0].get_legend_handles_labels()[1]
    ['A (n=2)', 'B (n=1)']
    """
    grid = np.linspace(0, 100, 201)
    with figure_style():
        fig, (ax,) = _figure()
        for g in colours:
            red = -final.loc[final[group].astype(str) == g, value].dropna().to_numpy(float)
            if len(red) == 0:
                continue
            prop = (red[None, :] >= grid[:, None]).mean(axis=1) * 100
            ax.step(grid, prop, where="post", color=colours[g], label=f"{g} (n={len(red)})")
        for cut in (30, 50):
            ax.axvline(cut, color=REFERENCE_GREY, ls="--", lw=0.8)
        ax.set_xlabel("Reduction in pain from baseline, at least (%)")
        ax.set_ylabel("Subjects (%)")
        ax.set_xlim(0, 100)
        ax.set_ylim(0, 100)
        ax.legend()
    return fig


def waterfall_plot(final: pd.DataFrame, *, group: str, value: str,
                   colours: Mapping[str, str]) -> Figure:
    """Waterfall of percent change: one bar per subject, sorted, coloured by group.

    Parameters
    ----------
    final : pandas.DataFrame
        One row per subject.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"ARM": ["A", "A", "B"], "PCHG": [-40.0, -10.0, -60.0]})
    >>> fig = waterfall_plot(d, group="ARM", value="PCHG", colours={"A": "#7F7F7F", "B": "#0072B2"})
    >>> len(fig.axes[0].patches)
    3
    """
    d = final.dropna(subset=[value]).copy()
    d["_g"] = d[group].astype(str)
    d = d.sort_values([value, "_g"], ascending=[False, True], kind="mergesort")
    with figure_style():
        fig, (ax,) = _figure(7.0, 3.8)
        x = np.arange(len(d))
        ax.bar(x, d[value].to_numpy(float), color=[colours[g] for g in d["_g"]], width=0.85)
        for cut in (-30, -50):
            ax.axhline(cut, color="black", ls="--", lw=0.8)
        ax.set_xticks([])
        ax.set_xlabel("Subjects, sorted by percent change")
        ax.set_ylabel("Percent change from baseline (%)")
        from matplotlib.patches import Patch

        ax.legend(handles=[Patch(color=c, label=g) for g, c in colours.items()])
    return fig


def forest_plot(effects: pd.DataFrame, xlabel: str) -> Figure:
    """Forest plot: estimate and CI per subgroup, overall first.

    Parameters
    ----------
    effects : pandas.DataFrame
        ``subgroup, level, n, estimate, conf_low, conf_high`` (one contrast).
    xlabel : str

    Examples
    --------
    >>> import pandas as pd
    >>> e = pd.DataFrame({"subgroup": ["All subjects"], "level": [""], "n": [99],
    ...                   "estimate": [-0.3], "conf_low": [-0.9], "conf_high": [0.3]})
    >>> [t.get_text() for t in forest_plot(e, "LDN - PBO").axes[0].get_yticklabels()]
    ['All subjects  (n=99)']
    """
    labels = [f"{r.subgroup} {r.level}".strip() + f"  (n={int(r.n)})"
              for r in effects.itertuples()]
    y = np.arange(len(effects))[::-1]
    with figure_style():
        fig, (ax,) = _figure(6.0, 0.35 * len(effects) + 1.2)
        est = effects["estimate"].to_numpy(float)
        ax.errorbar(est, y, xerr=np.vstack([est - effects["conf_low"].to_numpy(float),
                                            effects["conf_high"].to_numpy(float) - est]),
                    fmt="s", color="#0072B2", ms=4, capsize=2)
        ax.axvline(0, color="black", lw=0.8)
        if len(effects):
            ax.axvline(est[0], color=REFERENCE_GREY, ls="--", lw=0.8)
        ax.set_yticks(y, labels)
        ax.set_xlabel(xlabel)
        ax.grid(axis="y", visible=False)
    return fig


def crossover_period_plot(data: pd.DataFrame, *, subject: str, period: str, sequence: str,
                          value: str, colours: Mapping[str, str], ylabel: str) -> Figure:
    """Each subject's outcome across periods, one panel per sequence.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject and period.
    subject, period, sequence, value : str
    ylabel : str

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"ID": [1, 1, 2, 2], "P": [1, 2, 1, 2],
    ...                   "SEQ": ["A-B", "A-B", "B-A", "B-A"], "Y": [50.0, 40.0, 45.0, 47.0]})
    >>> fig = crossover_period_plot(d, subject="ID", period="P", sequence="SEQ", value="Y",
    ...                             colours={"A-B": "#0072B2", "B-A": "#D55E00"}, ylabel="VAS")
    >>> [ax.get_title() for ax in fig.axes]
    ['Sequence A-B', 'Sequence B-A']
    """
    seqs = list(colours)
    with figure_style():
        fig, axes = _figure(3.2 * len(seqs), 3.6, len(seqs))
        for ax, s in zip(axes, seqs, strict=True):
            d = data[data[sequence].astype(str) == s].copy()
            d["_p"] = pd.to_numeric(d[period], errors="coerce")
            for _, sub in d.sort_values([subject, "_p"]).groupby(subject, sort=True):
                ax.plot(sub["_p"], sub[value], color=colours[s], alpha=0.45, lw=0.8, marker="o",
                        ms=2.5)
            m = d.groupby("_p")[value].mean()
            ax.plot(m.index, m.to_numpy(), color="black", lw=2.2, marker="o", label="mean")
            periods = sorted(d["_p"].dropna().unique())
            treats = str(s).split(SEQUENCE_SEPARATOR)
            ax.set_xticks(periods, [f"P{int(p)}\n{treats[i] if i < len(treats) else ''}"
                                    for i, p in enumerate(periods)])
            ax.set_title(f"Sequence {s}")
        axes[0].set_ylabel(ylabel)
        axes[-1].legend()
        for ax in axes[1:]:
            ax.sharey(axes[0])
    return fig


def within_subject_plot(diffs: pd.DataFrame, *, value: str, group: str,
                        colours: Mapping[str, str], xlabel: str) -> Figure:
    """Within-subject treatment differences, sorted, with their mean and 95% CI.

    Parameters
    ----------
    diffs : pandas.DataFrame
        One row per subject: ``value`` (treatment minus reference), ``group`` (sequence).
    value, group : str
    xlabel : str

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"diff": [-5.0, 2.0, -8.0], "seq": ["A-B", "B-A", "A-B"]})
    >>> fig = within_subject_plot(d, value="diff", group="seq",
    ...                           colours={"A-B": "#0072B2", "B-A": "#D55E00"}, xlabel="B - A")
    >>> fig.axes[0].get_xlabel()
    'B - A'
    """
    d = diffs.dropna(subset=[value]).sort_values([value, group], kind="mergesort")
    x = d[value].to_numpy(float)
    with figure_style():
        fig, (ax,) = _figure(6.0, 0.12 * len(d) + 1.5)
        y = np.arange(len(d))
        ax.scatter(x, y, c=[colours[str(g)] for g in d[group]], s=14, zorder=3)
        if len(x) > 1:
            m = x.mean()
            half = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
            ax.axvspan(m - half, m + half, color="#0072B2", alpha=0.15, lw=0)
            ax.axvline(m, color="#0072B2", lw=1.2, label=f"mean {m:.2f} (95% CI)")
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks([])
        ax.set_ylabel("Subjects, sorted")
        ax.set_xlabel(xlabel)
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], marker="o", ls="", color=c, label=f"sequence {g}")
                   for g, c in colours.items()]
        ax.legend(handles=handles + ax.get_legend_handles_labels()[0], loc="lower right")
    return fig


def residual_plot(fitted: np.ndarray, residuals: np.ndarray) -> Figure:
    """Residual diagnostics: normal QQ plot and residuals against fitted values.

    Parameters
    ----------
    fitted, residuals : numpy.ndarray

    Notes
    -----
    QQ positions are Blom's ``(i - 3/8) / (n + 1/4)`` normal quantiles against
    standardized ordered residuals.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> [ax.get_title() for ax in residual_plot(rng.normal(size=20), rng.normal(size=20)).axes]
    ['Normal QQ', 'Residuals vs fitted']
    """
    r = np.asarray(residuals, float)
    f = np.asarray(fitted, float)
    ok = np.isfinite(r) & np.isfinite(f)
    r, f = r[ok], f[ok]
    n = len(r)
    with figure_style():
        fig, (a1, a2) = _figure(7.0, 3.4, 2)
        if n > 1:
            z = (np.sort(r) - r.mean()) / r.std(ddof=1)
            q = stats.norm.ppf((np.arange(1, n + 1) - 0.375) / (n + 0.25))
            a1.scatter(q, z, s=8, color="#0072B2")
            lim = [min(q.min(), z.min()), max(q.max(), z.max())]
            a1.plot(lim, lim, color="black", lw=0.8)
        a1.set_xlabel("Normal quantile")
        a1.set_ylabel("Standardized residual")
        a1.set_title("Normal QQ")
        a2.scatter(f, r, s=8, color="#0072B2")
        a2.axhline(0, color="black", lw=0.8)
        a2.set_xlabel("Fitted value")
        a2.set_ylabel("Residual")
        a2.set_title("Residuals vs fitted")
    return fig


def heatmap_plot(matrix: pd.DataFrame, title: str, *, correlation: bool = True) -> Figure:
    """Heatmap of a visit x visit covariance or correlation matrix, values printed.

    Parameters
    ----------
    matrix : pandas.DataFrame
        Square, labelled.
    title : str
    correlation : bool, default True
        Use a fixed -1..1 diverging scale (else the data range, sequential).

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame([[1.0, 0.6], [0.6, 1.0]], index=["W1", "W2"], columns=["W1", "W2"])
    >>> heatmap_plot(m, "Correlation").axes[0].get_title()
    'Correlation'
    """
    m = matrix.to_numpy(float)
    k = len(matrix)
    with figure_style():
        fig, (ax,) = _figure(0.5 * k + 2.5, 0.5 * k + 2.0)
        if correlation:
            im = ax.imshow(m, cmap="RdBu_r", vmin=-1, vmax=1)
        else:
            im = ax.imshow(m, cmap="viridis")
        for i in range(k):
            for j in range(k):
                if np.isfinite(m[i, j]):
                    ax.text(j, i, f"{m[i, j]:.2f}", ha="center", va="center", fontsize=6)
        labels = [str(c) for c in matrix.columns]
        ax.set_xticks(range(k), labels, rotation=90)
        ax.set_yticks(range(k), labels)
        ax.grid(False)
        ax.set_title(title)
        fig.colorbar(im, ax=ax, shrink=0.8)
    return fig
