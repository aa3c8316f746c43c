"""Treatment effects within subgroups (the forest plot's numbers).

Each subgroup is a separate ANCOVA ``outcome ~ covariate + arm`` fitted by
:func:`ldn_stats.models.ols.ols` (no interaction model): descriptive, as forest
plots are.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> d = pd.DataFrame({"TRT01P": ["LDN", "PBO"] * 20, "AGE": np.arange(40) + 30,
...                   "SITEID": "01", "BASE": rng.normal(6, 1, 40),
...                   "CHG": rng.normal(-1, 1, 40)})
>>> subgroup_effects(d, arm="TRT01P", reference="PBO")["subgroup"].tolist()
['All subjects', 'Site', 'Age', 'Age', 'Baseline pain', 'Baseline pain']
"""

from __future__ import annotations

import pandas as pd

from ldn_stats.errors import ModelError
from ldn_stats.models.ols import ols
from ldn_stats.vocabulary import INFERENCE

__all__ = ["subgroup_effects"]


def subgroup_effects(final: pd.DataFrame, *, arm: str, reference: str, outcome: str = "CHG",
                     covariate: str = "BASE", min_per_arm: int = 3) -> pd.DataFrame:
    """Treatment effect (ANCOVA) overall and within subgroups.

    Parameters
    ----------
    final : pandas.DataFrame
        One row per subject at the analysed visit with ``SITEID``, ``AGE``,
        ``covariate``, ``outcome`` and ``arm``.
    arm, reference : str
        Treatment column and reference level; contrasts are ``level - reference``.
    outcome, covariate : str
        ANCOVA outcome and baseline covariate.
    min_per_arm : int, default 3
        Subgroups with fewer subjects in any arm are left out.

    Returns
    -------
    pandas.DataFrame
        ``subgroup, level, n, contrast`` plus the inference columns. Age and
        baseline are split at their medians (labels show the cut).
    """
    d = final.dropna(subset=[outcome, covariate, arm]).copy()
    levels = sorted(str(v) for v in d[arm].unique())
    order = [reference] + [lv for lv in levels if lv != reference]
    d[arm] = pd.Categorical(d[arm].astype(str), categories=order)
    age_cut = float(d["AGE"].median())
    base_cut = float(d[covariate].median())
    groups: list[tuple[str, str, pd.DataFrame]] = [("All subjects", "", d)]
    for site in sorted(str(v) for v in d["SITEID"].dropna().unique()):
        groups.append(("Site", site, d[d["SITEID"].astype(str) == site]))
    groups.append(("Age", f"< {age_cut:g}", d[d["AGE"] < age_cut]))
    groups.append(("Age", f">= {age_cut:g}", d[d["AGE"] >= age_cut]))
    groups.append(("Baseline pain", f"< {base_cut:.2f}", d[d[covariate] < base_cut]))
    groups.append(("Baseline pain", f">= {base_cut:.2f}", d[d[covariate] >= base_cut]))
    rows = []
    formula = f"{outcome} ~ {covariate} + {arm}"
    for name, level, g in groups:
        counts = g[arm].astype(str).value_counts()
        if len(counts) < 2 or counts.min() < min_per_arm or reference not in counts:
            continue
        try:
            pw = ols(formula, g).pairwise(arm)
        except ModelError:
            continue
        for _, row in pw[pw["contrast"].str.endswith(f" - {reference}")].iterrows():
            rows.append({"subgroup": name, "level": level, "n": float(len(g)),
                         "contrast": row["contrast"], **{c: row[c] for c in INFERENCE}})
    return pd.DataFrame(rows, columns=["subgroup", "level", "n", "contrast", *INFERENCE])
