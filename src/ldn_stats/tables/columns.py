"""What each column of a report table's CSV means: the dictionary of the results.

Every table is written as ``tables/<key>.csv`` with its numbers at full
precision (Python's shortest round-trip repr, :data:`ldn_stats.tables.render.CSV_FLOAT_FORMAT`),
so a downstream tool can read them back exactly. :data:`RESULT_COLUMNS` documents
each column, per table key, with the shared meanings under ``"*"``;
:func:`column_meaning` looks one up. The documentation site prints the whole
dictionary, and a test checks that every column of every demo table has an entry.

Examples
--------
>>> column_meaning("lsmeans", "std_error")
'Standard error of the estimate.'
>>> column_meaning("disposition", "pct")
'Percentage of the randomized subjects of the group.'
"""

from __future__ import annotations

__all__ = ["RESULT_COLUMNS", "column_meaning"]

_INFERENCE = {
    "estimate": "The estimate (LS-mean, difference, effect or ratio).",
    "std_error": "Standard error of the estimate.",
    "df": "Degrees of freedom of the t statistic (the analysis's df method).",
    "statistic": "Test statistic: estimate / std_error (t) unless the table says otherwise.",
    "p_value": "Two-sided p-value of the test of no effect.",
    "conf_low": "Lower limit of the confidence interval (95% unless the spec says otherwise).",
    "conf_high": "Upper limit of the confidence interval.",
    "estimable": "True when the row's linear function is estimable; a non-estimable row has "
                 "no numbers (SAS prints Non-est).",
    "aliased": "The aliased (dropped) design columns a non-estimable row depends on; empty "
               "when estimable.",
}

#: table key -> column -> meaning; ``"*"`` holds the meanings shared by every table
RESULT_COLUMNS: dict[str, dict[str, str]] = {
    "*": {
        **_INFERENCE,
        "group": "Treatment arm or sequence (columns of the display), or 'Total'.",
        "contrast": "The comparison, 'b - a' (difference) or 'b / a' (ratio) of levels a, b.",
        "visit": "Analysis visit (AVISIT) of the row; empty when the analysis has one.",
        "n": "Number of subjects counted.",
        "method": "The method that produced the row's test or interval.",
    },
    "baseline": {
        "variable": "Characteristic: N, AGE, BASE (baseline pain), SEX or SITEID.",
        "level": "Level of a categorical characteristic (SEX, SITEID); empty otherwise.",
        "statistic": "Summary statistic: n, mean, sd, median, min, max or pct.",
        "value": "Value of the statistic (pct in percent).",
    },
    "disposition": {
        "category": "Randomized, Completed or Discontinued.",
        "reason": "Discontinuation reason (DCSREAS); empty for the category row.",
        "pct": "Percentage of the randomized subjects of the group.",
    },
    "lsmeans": {
        "term": "'lsmean' (an LS-mean of one group) or 'difference' (between groups).",
        "label": "The group of an LS-mean or the contrast of a difference ('LDN - PBO').",
    },
    "responders": {
        "criterion": "Responder flag: CRIT1FL (>= 30% reduction) or CRIT2FL (>= 50%).",
        "n_resp": "Responders in the treatment arm.",
        "n": "Subjects with a value in the treatment arm.",
        "n_resp_ref": "Responders in the reference arm.",
        "n_ref": "Subjects with a value in the reference arm.",
        "prop": "Responder proportion in the treatment arm (0-1).",
        "prop_ref": "Responder proportion in the reference arm (0-1).",
        "estimate": "Risk difference, treatment - reference (0-1).",
        "conf_low": "Lower limit of the Newcombe hybrid score interval of the difference.",
        "conf_high": "Upper limit of the Newcombe hybrid score interval of the difference.",
        "nnt": "Number needed to treat, 1 / risk difference.",
        "nnt_low": "Lower limit of the NNT interval; empty when the difference interval "
                   "includes 0.",
        "nnt_high": "Upper limit of the NNT interval; empty when the difference interval "
                    "includes 0.",
    },
    "paired_responders": {
        "threshold": "Percent reduction that makes a responder (30 or 50).",
        "n": "Subjects with both periods.",
        "responders_a": "Responders on the reference treatment (a of 'b / a').",
        "responders_b": "Responders on the treatment (b).",
        "n_b_only": "Discordant pairs responding on the treatment only.",
        "n_a_only": "Discordant pairs responding on the reference only.",
        "estimate": "Conditional (within-subject) odds ratio, n_b_only / n_a_only.",
        "conf_low": "Lower limit of the exact interval of the conditional odds ratio.",
        "conf_high": "Upper limit of the exact interval of the conditional odds ratio.",
        "statistic": "McNemar's chi-square statistic.",
        "p_value": "McNemar exact (binomial) p-value.",
        "p_value_chisq": "McNemar chi-square p-value.",
    },
    "adverse_events": {
        "term": "Adverse event term (AEDECOD), or 'Any adverse event' / 'Any serious ...'.",
        "n": "Subjects with the event (counted once per term).",
        "N": "Subjects at risk in the group (the denominator).",
        "pct": "Percentage of subjects at risk with the event.",
    },
    "model": {
        "item": "What the row describes (model, estimation, df method, covariance ...).",
        "value": "Its value: text, a count or a number at full precision.",
    },
    "crossover_effects": {
        "effect": "Treatment, Period or Carryover (sequence).",
        "n": "Subjects used by the carryover test (empty for the model's effects).",
    },
}


def column_meaning(key: str, column: str) -> str:
    """The meaning of ``column`` in table ``key``'s CSV.

    Parameters
    ----------
    key : str
        Table key (file stem), e.g. ``"lsmeans"``.
    column : str

    Returns
    -------
    str

    Raises
    ------
    KeyError
        If the column is documented neither for the table nor in the shared entries.

    Examples
    --------
    >>> column_meaning("adverse_events", "N")
    'Subjects at risk in the group (the denominator).'
    """
    for scope in (RESULT_COLUMNS.get(key, {}), RESULT_COLUMNS["*"]):
        if column in scope:
            return scope[column]
    raise KeyError(f"table {key!r}: column {column!r} has no entry in RESULT_COLUMNS")
