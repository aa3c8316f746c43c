"""Analysis kind ``mmrm``: the MMRM engine on every post-baseline visit.

``model.formula`` with its covariance term (``CHG ~ BASE + TRT01P * AVISIT +
us(AVISIT | USUBJID)``) is fitted by :func:`ldn_stats.mmrm` with the spec's
``reml`` and ``df_method``; the treatment levels are ordered reference first and
the visits by AVISITN, so the differences read ``LDN - PBO`` at each visit.

Examples
--------
>>> from ldn_stats.report.kinds import get_kind
>>> get_kind("mmrm").needs_formula
True
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ldn_stats import derive
from ldn_stats.models.mmrm import MMRMResult, mmrm
from ldn_stats.report.kinds import register
from ldn_stats.report.kinds.base import AnalysisKind, KindFit, inference_frame

__all__ = ["KIND", "mmrm_details"]


def mmrm_details(res: MMRMResult, formula: str, df_method: str) -> list[tuple[str, Any]]:
    """The model table's rows of an MMRM fit: estimation, counts, convergence, fit statistics.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(5)
    >>> d = pd.DataFrame({"ID": np.repeat(np.arange(25), 2), "V": np.tile(["a", "b"], 25)})
    >>> d["Y"] = rng.normal(size=50)
    >>> [k for k, _ in mmrm_details(mmrm("Y ~ V + us(V | ID)", d), "Y ~ ...", "x")][:3]
    ['Model', 'Estimation', 'Degrees of freedom']
    """
    opt = res.optimizer
    return [
        ("Model", f"MMRM: {formula}"),
        ("Estimation", "REML" if res.reml else "ML"),
        ("Degrees of freedom", df_method),
        ("Observations used", res.n_obs),
        ("Subjects", res.n_subjects),
        ("Rows dropped (missing outcome or covariate)", res.n_rows_dropped),
        ("Converged", "yes" if res.converged else "no"),
        ("Optimizer", f"{opt.method}, {opt.iterations} iterations"),
        ("Convergence criterion", f"{opt.criterion} <= {opt.tolerance:g}"
         if opt.criterion else "not recorded"),
        ("Criterion value at solution", float(opt.criterion_value)),
        ("Gradient norm at solution", float(opt.gradient_norm)),
        ("Log-likelihood", float(res.loglik)),
        ("AIC", float(res.aic)),
        ("BIC", float(res.bic)),
    ]


def _fit(sel, model) -> KindFit:
    formula = model.formula or ""
    data = sel.ana.copy()
    data[sel.arm] = pd.Categorical(data[sel.arm].astype(str), categories=sel.ordered_levels)
    data["AVISIT"] = pd.Categorical(data["AVISIT"].astype(str), categories=sel.visits,
                                    ordered=True)
    res = mmrm(formula, data, reml=model.reml, df_method=model.df_method)
    ls = res.lsmeans(sel.arm, by="AVISIT").rename(columns={sel.arm: "group",
                                                           "AVISIT": "visit"})
    pw = res.pairwise(sel.arm, by="AVISIT").rename(columns={"AVISIT": "visit"})
    for frame in (ls, pw):
        frame["visit"] = frame["visit"].astype(str)
    ls["group"] = ls["group"].astype(str)
    details = mmrm_details(res, formula, res.df_method_label or model.df_method)
    cov = None
    if isinstance(res.covariance, pd.DataFrame):
        labels = [str(c) for c in res.covariance.columns]
        for i, a in enumerate(labels):
            for j in range(i + 1):
                details.append((f"Covariance {a}, {labels[j]}",
                                float(res.covariance.iloc[i, j])))
        cov = pd.DataFrame(res.covariance.to_numpy(), index=labels, columns=labels)
    return KindFit("mmrm", res, formula, res.df_method_label or model.df_method,
                   inference_frame(ls, ["visit", "group"]),
                   inference_frame(pw, ["visit", "contrast"]), tuple(details), covariance=cov,
                   fitted=res.predict().to_numpy(), residuals=res.residuals().to_numpy())


def _derive(trial, rules, parameter):
    return derive.derive_parallel(trial, param=parameter, rules=rules)


KIND = register(AnalysisKind(
    name="mmrm", design="parallel",
    summary="mixed model for repeated measures (REML/ML, Kenward-Roger or other df)",
    fit=_fit, derive=_derive, needs_formula=True))
