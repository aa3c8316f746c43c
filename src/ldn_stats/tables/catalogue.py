"""The report's tables: numeric summaries and model results in, :class:`Table` out.

Each builder takes numbers (from :mod:`ldn_stats.tables.summaries` or a
model's inference tables) and formats them with :mod:`ldn_stats.tables.format`.
Every builder also takes ``number`` (the table number, ``"<section>.<k>"``) and
``footnotes`` (a sequence of str naming the population, the model and the
degrees-of-freedom method), and returns a :class:`~ldn_stats.tables.table.Table`
whose ``numeric`` frame keeps the numbers and whose ``display`` frame is the
formatted text.

Examples
--------
>>> import pandas as pd
>>> ls = pd.DataFrame({"visit": ["Week 12"] * 2, "group": ["PBO", "LDN"],
...     "estimate": [-0.9, -1.3], "std_error": [0.2, 0.2], "df": [96.0, 96.0],
...     "conf_low": [-1.3, -1.7], "conf_high": [-0.5, -0.9]})
>>> di = pd.DataFrame({"visit": ["Week 12"], "contrast": ["LDN - PBO"], "estimate": [-0.34],
...     "std_error": [0.31], "df": [96.0], "statistic": [-1.1], "p_value": [0.27],
...     "conf_low": [-0.95], "conf_high": [0.27]})
>>> t = lsmeans_table(ls, di, number="1.3", footnotes=("Population: ITT.",))
>>> t.display.iloc[0].tolist()
['Week 12', '-0.90 (0.20)', '-1.30 (0.20)', 'LDN - PBO', '-0.34', '(-0.95, 0.27)', '0.270']
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ldn_stats.tables.format import (
    format_ci,
    format_mean_sd,
    format_n_pct,
    format_number,
    format_p,
)
from ldn_stats.tables.table import Table

__all__ = [
    "NOT_ESTIMABLE",
    "adverse_event_table",
    "baseline_table",
    "crossover_effects_table",
    "disposition_table",
    "lsmeans_table",
    "model_table",
    "paired_responder_table",
    "responder_table",
]

_VAR_LABEL = {"AGE": "Age (years)", "SEX": "Sex", "SITEID": "Site", "N": "Subjects"}


def baseline_table(summary: pd.DataFrame, *, number: str, baseline_label: str,
                   footnotes: Sequence[str] = (), decimals: int = 1,
                   baseline_decimals: int | None = None,
                   title: str = "Baseline characteristics by arm") -> Table:
    """Baseline characteristics by arm (columns) and in total.

    Parameters
    ----------
    summary : pandas.DataFrame
        From :func:`~ldn_stats.tables.summaries.baseline_summary`.
    baseline_label : str
        Row label of the baseline pain variable.
    decimals : int, default 1
        Decimals of the continuous characteristics (age).
    baseline_decimals : int, optional
        Decimals of the baseline value of the parameter (its catalogue decimals);
        default ``decimals``.
    title : str, default "Baseline characteristics by arm"

    Returns
    -------
    Table
        Rows: N; age and baseline mean (SD) and median (min, max); sex and site n (%).

    Examples
    --------
    >>> import pandas as pd
    >>> from ldn_stats.tables.summaries import baseline_summary
    >>> s = pd.DataFrame({"ARM": ["A", "B"], "AGE": [40, 50], "SEX": ["F", "M"],
    ...                   "SITEID": ["1", "1"], "BASE": [6.0, 7.0]})
    >>> t = baseline_table(baseline_summary(s, "ARM"), number="1.1", baseline_label="Pain")
    >>> t.display.iloc[1].tolist()
    ['Age (years), mean (SD)', '40.0', '50.0', '45.0 (7.1)']
    """
    groups = list(dict.fromkeys(summary["group"]))
    val = summary.set_index(["variable", "level", "statistic", "group"])["value"]
    rows: list[list[str]] = []
    rows.append(["Subjects, N", *[format_number(val[("N", "", "n", g)], 0) for g in groups]])
    for var in [v for v in dict.fromkeys(summary["variable"]) if v not in ("N", "SEX", "SITEID")]:
        label = _VAR_LABEL.get(var, baseline_label)
        k = decimals if var in _VAR_LABEL or baseline_decimals is None else baseline_decimals
        rows.append([f"{label}, mean (SD)", *[
            format_mean_sd(val[(var, "", "mean", g)], val[(var, "", "sd", g)], k)
            for g in groups]])
        rows.append([f"{label}, median (min, max)", *[
            f"{format_number(val[(var, '', 'median', g)], k)} "
            f"({format_number(val[(var, '', 'min', g)], k)}, "
            f"{format_number(val[(var, '', 'max', g)], k)})" for g in groups]])
    for var in ("SEX", "SITEID"):
        levels = summary.loc[summary["variable"] == var, "level"].drop_duplicates()
        for lev in levels:
            n_tot = {g: val[("N", "", "n", g)] for g in groups}
            rows.append([f"{_VAR_LABEL[var]} {lev}, n (%)", *[
                format_n_pct(val[(var, lev, "n", g)], n_tot[g]) for g in groups]])
    display = pd.DataFrame(rows, columns=["Characteristic", *groups])
    return Table(number, "baseline", title, summary,
                 display, tuple(footnotes))


def disposition_table(summary: pd.DataFrame, *, number: str,
                      footnotes: Sequence[str] = ()) -> Table:
    """Subject disposition by arm: randomized, completed, discontinued by reason.

    Parameters
    ----------
    summary : pandas.DataFrame
        From :func:`~ldn_stats.tables.summaries.disposition_summary`.

    Examples
    --------
    >>> import pandas as pd
    >>> from ldn_stats.tables.summaries import disposition_summary
    >>> a = pd.DataFrame({"ARM": ["A", "A", "B"], "RANDFL": "Y",
    ...                   "DCSREAS": ["", "ADVERSE EVENT", ""]})
    >>> disposition_table(disposition_summary(a, "ARM"), number="1.2").display.iloc[3].tolist()
    ['  ADVERSE EVENT', '1 (50.0%)', '0 (0.0%)', '1 (33.3%)']
    """
    groups = list(dict.fromkeys(summary["group"]))
    rand = summary[summary["category"] == "Randomized"].set_index("group")["n"]
    rows = []
    for (cat, reason), g in summary.groupby(["category", "reason"], sort=False):
        label = f"  {reason}" if reason else cat
        gi = g.set_index("group")["n"]
        cells = [format_number(gi[grp], 0) if cat == "Randomized"
                 else format_n_pct(gi[grp], rand[grp]) for grp in groups]
        rows.append([label, *cells])
    display = pd.DataFrame(rows, columns=["Disposition", *groups])
    notes = (*footnotes, "Percentages are of randomized subjects.")
    return Table(number, "disposition", "Subject disposition", summary, display, notes)


#: what a table prints for an LS-mean or difference the model cannot estimate (SAS "Non-est")
NOT_ESTIMABLE = "NE"


def lsmeans_table(lsmeans: pd.DataFrame, differences: pd.DataFrame, *, number: str,
                  footnotes: Sequence[str] = (), decimals: int = 2,
                  title: str = "LS-means by arm and visit, and differences between arms",
                  key: str = "lsmeans") -> Table:
    """LS-mean (SE) per arm by visit, with each difference, its 95% CI and p-value.

    Parameters
    ----------
    lsmeans : pandas.DataFrame
        ``visit, group, estimate, std_error`` ...
    differences : pandas.DataFrame
        ``visit, contrast, estimate, p_value, conf_low, conf_high`` ...
    decimals : int, default 2
    title, key : str

    Returns
    -------
    Table
        ``numeric`` stacks LS-means (``term = "lsmean"``) and differences
        (``term = "difference"``) with the full inference columns.

    Examples
    --------
    >>> import pandas as pd
    >>> ls = pd.DataFrame({"visit": [""], "group": ["A"], "estimate": [1.0], "std_error": [0.5]})
    >>> di = pd.DataFrame({"visit": [], "contrast": [], "estimate": [], "p_value": [],
    ...                    "conf_low": [], "conf_high": []})
    >>> lsmeans_table(ls, di, number="2.3").display.columns.tolist()[:2]
    ['A LS-mean (SE)', 'Contrast']
    """
    groups = list(dict.fromkeys(lsmeans["group"]))
    visits = list(dict.fromkeys(lsmeans["visit"]))
    rows = []
    for v in visits:
        lv = lsmeans[lsmeans["visit"] == v].set_index("group")
        # a missing estimate is a non-estimable one (the model gives no number): "NE"
        cells = [(format_mean_sd(lv.loc[g, "estimate"], lv.loc[g, "std_error"], decimals)
                  if pd.notna(lv.loc[g, "estimate"]) else NOT_ESTIMABLE)
                 if g in lv.index else "" for g in groups]
        dv = differences[differences["visit"] == v]
        if len(dv) == 0:
            rows.append([v, *cells, "", "", "", ""])
        for _, d in dv.iterrows():
            if pd.isna(d["estimate"]):
                rows.append([v, *cells, d["contrast"], NOT_ESTIMABLE, "", ""])
                continue
            rows.append([v, *cells, d["contrast"], format_number(d["estimate"], decimals),
                         format_ci(d["conf_low"], d["conf_high"], decimals),
                         format_p(d["p_value"])])
    display = pd.DataFrame(rows, columns=["Visit", *[f"{g} LS-mean (SE)" for g in groups],
                                          "Contrast", "Difference", "95% CI", "p-value"])
    numeric = pd.concat([lsmeans.assign(term="lsmean").rename(columns={"group": "label"}),
                         differences.assign(term="difference")
                         .rename(columns={"contrast": "label"})], ignore_index=True)
    cols = ["term", "visit", "label"] + [c for c in numeric.columns
                                         if c not in ("term", "visit", "label")]
    if all(v == "" for v in visits):
        display = display.drop(columns="Visit")
    return Table(number, key, title, numeric[cols], display, tuple(footnotes))


def crossover_effects_table(differences: pd.DataFrame, extra: dict[str, pd.DataFrame], *,
                            number: str, footnotes: Sequence[str] = (),
                            decimals: int = 2) -> Table:
    """Crossover treatment effects, period effects and the carryover test.

    Parameters
    ----------
    differences : pandas.DataFrame
        Treatment contrasts with the inference columns.
    extra : dict of str to pandas.DataFrame
        ``period_effects`` and ``carryover`` (either may be empty or absent).
    decimals : int, default 2

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"visit": [""], "contrast": ["B - A"], "estimate": [-2.0],
    ...                   "std_error": [1.0], "df": [20.0], "p_value": [0.06],
    ...                   "conf_low": [-4.1], "conf_high": [0.1]})
    >>> crossover_effects_table(d, {}, number="2.4").display.iloc[0].tolist()
    ['Treatment', 'B - A', '-2.00', '1.00', '20.0', '(-4.10, 0.10)', '0.060']
    >>> ne = d.assign(estimate=float("nan"), std_error=float("nan"), p_value=float("nan"))
    >>> crossover_effects_table(ne, {}, number="2.4").display.iloc[0].tolist()[:3]
    ['Treatment', 'B - A', 'NE']
    """
    parts = [differences.assign(effect="Treatment")]
    for key, label in (("period_effects", "Period"), ("carryover", "Carryover (sequence)")):
        frame = extra.get(key)
        if frame is not None and len(frame):
            parts.append(frame.assign(effect=label))
    numeric = pd.concat(parts, ignore_index=True)
    numeric = numeric[["effect", "contrast", *[c for c in numeric.columns
                                               if c not in ("effect", "contrast", "visit")]]]
    rows = []
    for _, r in numeric.iterrows():
        if pd.isna(r.get("estimate")) and pd.isna(r.get("p_value")):
            # a contrast the model cannot estimate (no number at all; an F test such as
            # the carryover's has a p-value but no estimate): "NE", as in the LS-means table
            rows.append([r["effect"], r["contrast"], NOT_ESTIMABLE, "", "", "", ""])
            continue
        rows.append([r["effect"], r["contrast"], format_number(r.get("estimate"), decimals),
                     format_number(r.get("std_error"), decimals), format_number(r.get("df"), 1),
                     format_ci(r.get("conf_low"), r.get("conf_high"), decimals),
                     format_p(r.get("p_value"))])
    display = pd.DataFrame(rows, columns=["Effect", "Contrast", "Estimate", "SE", "df",
                                          "95% CI", "p-value"])
    has_carryover = extra.get("carryover") is not None and len(extra["carryover"]) > 0
    notes = tuple(footnotes) + (("The carryover test is reported for information; it is not "
                                 "used to choose the analysis.",) if has_carryover else ())
    return Table(number, "crossover_effects", "Crossover treatment, period and carryover effects",
                 numeric, display, notes)


def responder_table(summary: pd.DataFrame, *, number: str, reference: str,
                    footnotes: Sequence[str] = (), labels: dict[str, str] | None = None,
                    title: str = "Responders at >= 30% and >= 50% pain reduction") -> Table:
    """Responder rates by arm with the risk difference, its 95% CI and the NNT.

    Parameters
    ----------
    summary : pandas.DataFrame
        From :func:`~ldn_stats.tables.summaries.responder_summary`.
    reference : str
    labels : dict, optional
        Flag -> row label (the parameter catalogue's responder labels); default
        the pain scales' ``>= 30% reduction`` / ``>= 50% reduction``.
    title : str
        The table title (say what the responders are of).

    Notes
    -----
    NNT is "not estimable" when the risk difference is 0; its interval is
    shown only when the risk-difference interval excludes 0.

    Examples
    --------
    >>> import pandas as pd
    >>> from ldn_stats.tables.summaries import responder_summary
    >>> d = pd.DataFrame({"ARM": ["T"] * 4 + ["P"] * 4, "CRIT1FL": list("YYYNYNNN")})
    >>> s = responder_summary(d, "ARM", "P", flags=("CRIT1FL",))
    >>> responder_table(s, number="1.4", reference="P").display.iloc[0, :3].tolist()
    ['>= 30% reduction', 'T: 3 (75.0%)', 'P: 1 (25.0%)']
    """
    labels = dict(labels) if labels is not None else {
        "CRIT1FL": ">= 30% reduction", "CRIT2FL": ">= 50% reduction"}
    rows = []
    for _, r in summary.iterrows():
        arm = r["contrast"].split(" - ")[0]
        if pd.isna(r["estimate"]) or float(r["estimate"]) == 0.0:
            nnt = "not estimable (risk difference 0)"
        elif pd.notna(r["nnt_low"]):
            nnt = f"{format_number(r['nnt'], 1)} ({format_number(r['nnt_low'], 1)}, " \
                  f"{format_number(r['nnt_high'], 1)})"
        else:
            nnt = f"{format_number(r['nnt'], 1)} (CI includes no effect)"
        rows.append([labels.get(r["criterion"], r["criterion"]),
                     f"{arm}: {format_n_pct(r['n_resp'], r['n'])}",
                     f"{reference}: {format_n_pct(r['n_resp_ref'], r['n_ref'])}",
                     format_number(100 * r["estimate"], 1),
                     format_ci(100 * r["conf_low"], 100 * r["conf_high"], 1), nnt])
    display = pd.DataFrame(rows, columns=["Responder", "Treatment n (%)", "Reference n (%)",
                                          "Difference (%)", "95% CI (%)", "NNT (95% CI)"])
    notes = (*footnotes,
             "Risk difference with the Newcombe hybrid score interval (method 10).",
             "NNT = 1 / risk difference; its interval is shown only when the risk-difference "
             "interval excludes 0.")
    return Table(number, "responders", title, summary, display, notes)


def paired_responder_table(summary: pd.DataFrame | None, *, number: str,
                           footnotes: Sequence[str] = ()) -> Table:
    """Crossover responders on each treatment with McNemar's test and the conditional OR.

    Parameters
    ----------
    summary : pandas.DataFrame or None
        ``models.crossover.nonparametric.paired_responders`` output: ``contrast`` (``"b / a"``),
        ``threshold, n, responders_a, responders_b, n_b_only, n_a_only, estimate,
        conf_low, conf_high, p_value``; None or empty (not a 2x2 design, or no percent
        change) gives a table saying so.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"contrast": ["LDN / PBO"], "threshold": [30.0], "n": [29],
    ...     "responders_a": [5], "responders_b": [11], "n_b_only": [8], "n_a_only": [2],
    ...     "estimate": [4.0], "conf_low": [0.8], "conf_high": [38.6], "p_value": [0.109]})
    >>> paired_responder_table(s, number="2.5").display.iloc[0].tolist()
    ['>= 30% reduction', '29', '11 (37.9%)', '5 (17.2%)', '8 / 2', '4.00 (0.80, 38.60)', '0.109']
    """
    cols = ["Responder", "Subjects with both periods", "Treatment n (%)", "Reference n (%)",
            "Discordant (treatment only / reference only)", "Conditional OR (95% CI)",
            "McNemar exact p"]
    rows = []
    summary = pd.DataFrame() if summary is None else summary
    for _, r in summary.iterrows():
        ci = format_ci(r["conf_low"], r["conf_high"], 2)
        rows.append([f">= {format_number(r['threshold'], 0)}% reduction",
                     format_number(r["n"], 0), format_n_pct(r["responders_b"], r["n"]),
                     format_n_pct(r["responders_a"], r["n"]),
                     f"{format_number(r['n_b_only'], 0)} / {format_number(r['n_a_only'], 0)}",
                     f"{format_number(r['estimate'], 2)} {ci}".strip(), format_p(r["p_value"])])
    contrast = str(summary["contrast"].iloc[0]) if len(summary) else "treatment / reference"
    notes = (*footnotes,
             f"Conditional (within-subject) odds ratio {contrast} = discordant pairs "
             "responding on treatment only / on reference only, exact CI; McNemar exact "
             "(binomial) test. Period effects are ignored.")
    if not rows:
        notes = (*notes, "Not available: paired responders need a 2x2 design with percent "
                 "change.")
    return Table(number, "paired_responders", "Responders at >= 30% and >= 50% pain reduction "
                 "(paired, crossover)", summary, pd.DataFrame(rows, columns=cols), notes)


def adverse_event_table(summary: pd.DataFrame, *, number: str,
                        footnotes: Sequence[str] = ()) -> Table:
    """Subjects with adverse events by arm, n (%), any event first.

    Parameters
    ----------
    summary : pandas.DataFrame
        From :func:`~ldn_stats.tables.summaries.adverse_event_summary`.

    Examples
    --------
    >>> import pandas as pd
    >>> from ldn_stats.tables.summaries import adverse_event_summary
    >>> ae = pd.DataFrame({"USUBJID": ["1"], "AEDECOD": ["NAUSEA"], "AESER": ["N"],
    ...                    "TRTA": ["A"]})
    >>> t = adverse_event_table(adverse_event_summary(ae, {"A": 4, "B": 5}), number="1.5")
    >>> t.display.iloc[2].tolist()
    ['NAUSEA', '1 (25.0%)', '0 (0.0%)']
    """
    groups = list(dict.fromkeys(summary["group"]))
    denom = summary.drop_duplicates("group").set_index("group")["N"]
    rows = []
    for term, g in summary.groupby("term", sort=False):
        gi = g.set_index("group")
        rows.append([term, *[format_n_pct(gi.loc[a, "n"], gi.loc[a, "N"]) for a in groups]])
    display = pd.DataFrame(rows, columns=["Adverse event", *[
        f"{a} (N={format_number(denom[a], 0)})" for a in groups]])
    notes = (*footnotes, "Subjects are counted once per term.")
    return Table(number, "adverse_events", "Adverse events by arm", summary, display, notes)


def not_collected_table(key: str, number: str, reason: str, source: str) -> Table:
    """A requested optional table whose input the trial does not have: it says so.

    Examples
    --------
    >>> t = not_collected_table("adverse_events", "1.5", "no adae table", "a.toml")
    >>> t.display.iloc[0].tolist()
    ['Not collected: no adae table']
    """
    title = {"adverse_events": "Treatment-emergent adverse events",
             "responders": "Responders", "paired_responders": "Responders"}.get(key, key)
    display = pd.DataFrame({"": [f"Not collected: {reason}"]})
    return Table(number, key, f"{title}: not collected", pd.DataFrame(), display,
                 (f"Source: spec {source}.",))


def model_table(details: Sequence[tuple[str, object]], *, number: str,
                footnotes: Sequence[str] = ()) -> Table:
    """Model details: specification, estimation, df method, convergence, covariance.

    Parameters
    ----------
    details : sequence of (str, object)
        Item and value; non-integer numbers are shown with 4 decimals, integers
        as integers, text as is.

    Examples
    --------
    >>> model_table([("Converged", True), ("Subjects", 99), ("Residual variance", 1.23456)],
    ...             number="1.6").display["Value"].tolist()
    ['yes', '99', '1.2346']
    """
    def fmt(v: object) -> str:
        if isinstance(v, bool):
            return "yes" if v else "no"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, float):
            return format_number(v, 0) if v.is_integer() else format_number(v, 4)
        return str(v)

    numeric = pd.DataFrame({"item": [d[0] for d in details],
                            "value": [d[1] for d in details]})
    display = pd.DataFrame({"Item": [d[0] for d in details],
                            "Value": [fmt(d[1]) for d in details]})
    return Table(number, "model", "Model details", numeric, display, tuple(footnotes))
