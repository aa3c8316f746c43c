"""Tipping-point analysis: a grid of deltas per arm on the same imputations, and its heatmap.

The completed data sets are imputed once; each cell of the grid adds its deltas
to the imputed values of each arm and reruns the analysis and pooling, so the
cells differ only by the deltas. The tipping point is the smallest delta (in
absolute value) along the first arm's grid at which the p-value reaches
``alpha`` (for each delta of the second arm when there are two).

Examples
--------
>>> import numpy as np, pandas as pd
>>> from ldn_stats import mi
>>> rng = np.random.default_rng(2)
>>> n = 40
>>> d = pd.DataFrame({"ID": np.repeat(np.arange(n), 2), "V": np.tile(["a", "b"], n),
...                   "ARM": np.repeat(np.where(np.arange(n) % 2, "T", "P"), 2)})
>>> d["Y"] = rng.normal(size=2 * n) - 1.5 * ((d["ARM"] == "T") & (d["V"] == "b"))
>>> d = d[~((d["ID"] < 8) & (d["V"] == "b"))]
>>> ice = pd.DataFrame({"ID": range(8), "V": "b", "strategy": "JR"})
>>> imp = mi.draws(d, "Y ~ ARM * V + us(V | ID)", "ARM", ice=ice, workers=0).impute(
...     {"P": "P", "T": "P"})
>>> tp = imp.tipping_point({"T": [0.0, 1.0, 2.0, 4.0, 8.0]})
>>> tp.table.columns.tolist()[:3]
['delta_T', 'parameter', 'V']
>>> fig = mi.tipping_point_figure(tp)
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ldn_stats.errors import DataError, ModelError

__all__ = ["P_BINS", "TippingPoint", "run_grid", "tipping_point_figure"]

P_BINS = (0.0, 0.001, 0.01, 0.05, 0.2, 1.0)
_BIN_LABELS = ("p < 0.001", "0.001-0.01", "0.01-0.05", "0.05-0.2", "p >= 0.2")
_BIN_COLOURS = ("#08306B", "#2171B5", "#6BAED6", "#FDAE6B", "#E6550D")


@dataclass(frozen=True)
class TippingPoint:
    """A tipping-point grid (from :meth:`ldn_stats.mi.Imputations.tipping_point`).

    Attributes
    ----------
    arms : list
        The arms whose imputed values were shifted (first: the tipping axis).
    table : pandas.DataFrame
        One row per cell: ``delta_<arm>`` columns, ``parameter``, the visit column,
        ``estimate, std_error, df, conf_low, conf_high, p_value``.
    tipping_points : pandas.DataFrame
        The tipping point of the first arm (``tipping_delta``; NaN when p stays
        below ``alpha`` on the grid) for each delta of the second arm, if any.
    alpha : float
    """

    arms: list
    table: pd.DataFrame
    tipping_points: pd.DataFrame
    alpha: float
    visit_column: str
    parameter: str

    @property
    def tipping_point(self) -> float:
        """The first arm's tipping point (with the second arm's delta at its first value)."""
        return float(self.tipping_points["tipping_delta"].iloc[0])


def _delta_values(v) -> list[float]:
    vals = [float(x) for x in np.atleast_1d(np.asarray(v, dtype=float))]
    if not vals or not all(np.isfinite(vals)):
        raise ModelError(f"tipping-point deltas must be finite numbers, got {v!r}")
    return vals


def run_grid(imp, deltas: Mapping[Any, Sequence[float]], *, kind: str, covariates,
             visit: Any, parameter: str, dlag, alpha: float, conf_level: float, workers,
             cls=TippingPoint) -> TippingPoint:
    """Run every cell of the grid (see :meth:`Imputations.tipping_point`)."""
    from ldn_stats.mi.core import PARAMETERS

    ld = imp.draws.longdata
    if not isinstance(deltas, Mapping) or not 1 <= len(deltas) <= 2:
        raise ModelError("deltas must be a dict of one or two arms -> the deltas to try")
    if parameter not in PARAMETERS:
        raise ModelError(f"parameter must be one of {', '.join(PARAMETERS)}, got "
                         f"{parameter!r}")
    if not 0 < alpha < 1:
        raise ModelError(f"alpha must be between 0 and 1, got {alpha!r}")
    label = {str(g): i for i, g in enumerate(ld.groups)}
    arms, grids = [], []
    for k, v in deltas.items():
        if str(k) not in label:
            raise DataError(f"deltas: arm {k!r} is not in column {ld.group!r} (arms: "
                            f"{', '.join(map(str, ld.groups))})")
        arms.append(k)
        grids.append(_delta_values(v))
    m = len(ld.visits)
    visit = ld.visits[-1] if visit is None else visit
    prepared = imp._prepare(kind, covariates, [visit])
    if dlag is None:
        template = np.ones((len(ld.subjects), m))  # every imputed value of the arm
    else:
        lag = np.asarray(dlag, dtype=float)
        if lag.shape != (m,):
            raise ModelError(f"dlag must have one value per visit ({m}), got {lag.size}")
        post = ld.post_ice(imp.ice_index)
        template = np.zeros((len(ld.subjects), m))
        for i in range(len(ld.subjects)):
            p = post[i]
            template[i, p] = np.cumsum(lag[: int(p.sum())])
    masks = [(ld.group_code == label[str(a)])[:, None] * template * imp.imputed for a in arms]
    rows = []
    for cell in itertools.product(*grids):
        dm = sum(d * mk for d, mk in zip(cell, masks, strict=True))
        res = imp._analyse(prepared, dm, workers=workers)
        pooled = res.pool(conf_level=conf_level)
        r = pooled[pooled["parameter"] == parameter].iloc[0].to_dict()
        rows.append({**{f"delta_{a}": d for a, d in zip(arms, cell, strict=True)}, **r})
    table = pd.DataFrame(rows)
    tips = []
    first = f"delta_{arms[0]}"
    others = [f"delta_{a}" for a in arms[1:]]
    groups = table.groupby(others, sort=False) if others else [((), table)]
    for key, sub in groups:
        order = sub.assign(_abs=sub[first].abs()).sort_values(["_abs", first], kind="stable")
        hit = order[order["p_value"] >= alpha]
        row = dict(zip(others, np.atleast_1d(key), strict=True)) if others else {}
        row["tipping_delta"] = float(hit[first].iloc[0]) if len(hit) else float("nan")
        tips.append(row)
    return cls(arms=arms, table=table, tipping_points=pd.DataFrame(tips), alpha=float(alpha),
               visit_column=ld.names.visit, parameter=parameter)


def tipping_point_figure(tp: TippingPoint, title: str | None = None):
    """Heatmap of a tipping-point grid: p-values binned at 0.001 / 0.01 / 0.05 / 0.2.

    Parameters
    ----------
    tp : TippingPoint
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        x: the first arm's delta; y: the second arm's (one row if one arm); each
        cell coloured by its p-value bin and labelled with the estimate; the
        tipping point outlined.
    """
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch, Rectangle

    from ldn_stats.figures.style import figure_style

    t = tp.table
    xcol = f"delta_{tp.arms[0]}"
    ycol = f"delta_{tp.arms[1]}" if len(tp.arms) > 1 else None
    xs = sorted(t[xcol].unique())
    ys = sorted(t[ycol].unique()) if ycol else [0.0]
    P = np.full((len(ys), len(xs)), np.nan)
    E = np.full_like(P, np.nan)
    for _, r in t.iterrows():
        i = ys.index(r[ycol]) if ycol else 0
        j = xs.index(r[xcol])
        P[i, j], E[i, j] = r["p_value"], r["estimate"]
    cmap = ListedColormap(list(_BIN_COLOURS))
    norm = BoundaryNorm(list(P_BINS), cmap.N)
    with figure_style():
        fig = Figure(figsize=(max(4.0, 0.6 * len(xs) + 2.5), max(2.2, 0.5 * len(ys) + 1.8)),
                     layout="constrained")
        ax = fig.subplots()
        ax.imshow(P, cmap=cmap, norm=norm, aspect="auto", origin="lower")
        for i in range(len(ys)):
            for j in range(len(xs)):
                if np.isfinite(E[i, j]):
                    ax.text(j, i, f"{E[i, j]:.2f}", ha="center", va="center", fontsize=6,
                            color="white" if P[i, j] < 0.05 else "black")
        for _, r in tp.tipping_points.iterrows():
            if np.isfinite(r["tipping_delta"]):
                i = ys.index(r[ycol]) if ycol else 0
                j = xs.index(r["tipping_delta"])
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, lw=1.5,
                                       edgecolor="black"))
        ax.set_xticks(range(len(xs)), [f"{x:g}" for x in xs])
        ax.set_xlabel(f"delta added to imputed values, {tp.arms[0]}")
        if ycol:
            ax.set_yticks(range(len(ys)), [f"{y:g}" for y in ys])
            ax.set_ylabel(f"delta, {tp.arms[1]}")
        else:
            ax.set_yticks([])
        ax.grid(False)
        ax.set_title(title or f"Tipping point: {tp.parameter} (p >= {tp.alpha:g} outlined)")
        ax.legend(handles=[Patch(color=c, label=lab)
                           for c, lab in zip(_BIN_COLOURS, _BIN_LABELS, strict=True)],
                  loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=6, frameon=False)
    return fig
