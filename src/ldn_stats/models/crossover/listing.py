"""``xo.summary()``: the listing of a :class:`CrossoverResult`, in PROC MIXED's style.

Sections: Crossover Design (design, treatments, subjects, model), Variance
Components (with the intra-class correlation), Least Squares Means, Treatment
Differences, Period Effects, Carryover, then the 2x2 companions when present
(Hills-Armitage, Wilcoxon-Mann-Whitney with Hodges-Lehmann, effect sizes, paired
responders, Mainland-Gart), and the mixed model's own Fit Statistics, Solution
for Fixed Effects and Type 3 Tests (from its
:func:`~ldn_stats.models.mmrm.listing.mmrm_listing`). Every section is a numeric
DataFrame; the result vocabulary is shown with SAS's headers (``estimate`` ->
``Estimate``, ``p_value`` -> ``Pr > |t|`` ...).

Examples
--------
>>> import pandas as pd
>>> from ldn_stats import crossover
>>> from ldn_stats.models.crossover.designs import williams_design
>>> rows = [(f"S{i}", "-".join(seq), p, t, 50 + i % 5 + 3 * p - 4 * (t == "B") + (i * p) % 3)
...         for i, seq in enumerate(williams_design(2) * 4)
...         for p, t in enumerate(seq, start=1)]
>>> d = pd.DataFrame(rows, columns=["USUBJID", "TRTSEQP", "APERIOD", "TRTA", "AVAL"])
>>> s = crossover_listing(crossover(d, df_method="satterthwaite"))
>>> s["Treatment Differences"]["Contrast"].tolist()
['B - A']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ldn_stats.models.listing import P_VALUE, Listing, Section

if TYPE_CHECKING:
    from ldn_stats.models.crossover.fit import CrossoverResult

__all__ = ["crossover_listing"]

#: result vocabulary -> (printed header, format)
_VOCAB: dict[str, tuple[str, int | str | None]] = {
    "contrast": ("Contrast", None), "term": ("Effect", None), "effect": ("Effect", None),
    "estimate": ("Estimate", 4), "std_error": ("Standard Error", 4), "df": ("DF", 1),
    "num_df": ("Num DF", 0), "den_df": ("Den DF", 1), "statistic": ("Statistic", 2),
    "p_value": ("Pr > |t|", P_VALUE), "p_value_chisq": ("Pr > ChiSq", P_VALUE),
    "conf_low": ("Lower", 4), "conf_high": ("Upper", 4), "n": ("N", 0),
    "n_dropped": ("N Dropped", 0), "method": ("Method", None), "measure": ("Measure", None),
    "threshold": ("Threshold (%)", 0), "component": ("Component", None),
}


def vocab_section(title: str, frame: pd.DataFrame, notes: tuple[str, ...] = (),
                  p_header: str = "Pr > |t|") -> Section:
    """A section from a result table: vocabulary columns renamed and formatted.

    Parameters
    ----------
    title : str
    frame : pandas.DataFrame
        Columns of the result vocabulary; other numeric columns print with 4
        decimals (counts, whole numbers, with none).
    notes : tuple of str
    p_header : str
        Header of ``p_value`` (``"Pr > F"`` for F tests).

    Returns
    -------
    Section

    Examples
    --------
    >>> s = vocab_section("T", pd.DataFrame({"estimate": [1.0], "p_value": [0.5]}))
    >>> s.table.columns.tolist(), s.formats
    (['Estimate', 'Pr > |t|'], {'Estimate': 4, 'Pr > |t|': 'p'})
    """
    names, formats = {}, {}
    for col in frame.columns:
        header, fmt = _VOCAB.get(str(col), (str(col), None))
        if col == "p_value":
            header = p_header
        names[col] = header
        s = frame[col]
        if fmt is None and pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            whole = bool(s.dropna().map(lambda v: float(v).is_integer()).all())
            fmt = 0 if whole else 4
        if fmt is not None:
            formats[header] = fmt
    table = frame.rename(columns=names).reset_index(drop=True)
    return Section(title, table, formats, notes=notes)


def crossover_listing(xo: CrossoverResult) -> Listing:
    """The listing of a crossover analysis (what ``xo.summary()`` returns).

    Parameters
    ----------
    xo : CrossoverResult

    Returns
    -------
    Listing

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ldn_stats import crossover
    >>> e = np.random.default_rng(0).normal(size=24)
    >>> rows = [(f"S{i}", seq, p, seq.split("-")[p - 1], 40.0 + i + 2 * p + e[2 * i + p - 1])
    ...         for i, seq in enumerate(["A-B", "B-A"] * 6) for p in (1, 2)]
    >>> d = pd.DataFrame(rows, columns=["USUBJID", "TRTSEQP", "APERIOD", "TRTA", "AVAL"])
    >>> "Hills-Armitage (Period-Adjusted t-Test)" in crossover_listing(crossover(d)).titles
    True
    """
    from ldn_stats.models.mmrm.listing import mmrm_listing

    design = pd.DataFrame({"Item": ["Design", "Treatments", "Subjects", "Observations Used",
                                    "Model", "Degrees of Freedom Method"],
                           "Value": [xo.design, " ".join(xo.levels), xo.n_subjects, xo.n_obs,
                                     xo.formula, xo.df_method]})
    sections = [Section("Crossover Design", design, header=False)]
    if xo.variance_components is not None and len(xo.variance_components):
        vc = pd.concat([xo.variance_components,
                        pd.DataFrame({"component": ["intra-class correlation"],
                                      "estimate": [xo.icc]})], ignore_index=True)
        sections.append(vocab_section("Variance Components", vc))
    sections.append(vocab_section("Least Squares Means", xo.lsmeans))
    sections.append(vocab_section("Treatment Differences", xo.effects))
    if len(xo.period_effects):
        sections.append(vocab_section("Period Effects", xo.period_effects))
    if xo.carryover is not None and len(xo.carryover):
        p_header = "Pr > F" if "num_df" in xo.carryover.columns else "Pr > |t|"
        sections.append(vocab_section("Carryover", xo.carryover, p_header=p_header, notes=(
            "Reported for information; not used to choose the analysis.",)))
    companions = (
        ("hills_armitage", "Hills-Armitage (Period-Adjusted t-Test)", "Pr > |t|"),
        ("wilcoxon", "Wilcoxon-Mann-Whitney with Hodges-Lehmann Estimate", "Pr > |W|"),
        ("effect_sizes", "Within-Subject Effect Sizes", "Pr > |t|"),
        ("responders", "Paired Responders (McNemar, Conditional Odds Ratio)", "Pr (exact)"),
        ("responders_period_adjusted", "Period-Adjusted Responders (Mainland-Gart)",
         "Pr (Fisher)"),
    )
    for attr, title, p_header in companions:
        frame = getattr(xo, attr)
        if frame is not None and len(frame):
            sections.append(vocab_section(title, frame, p_header=p_header))
    model = mmrm_listing(xo.model, lsmeans=())
    keep = ("Fit Statistics", "Solution for Fixed Effects", "Type 3 Tests of Fixed Effects")
    sections += [s for s in model.sections if s.title in keep]
    return Listing("The Crossover Analysis (ldn_stats)", tuple(sections))
