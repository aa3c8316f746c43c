"""The derivation rules in plain words, for methods sections and report appendices.

Examples
--------
>>> from ldn_stats.derive import DeriveRules
>>> from ldn_stats.derive.describe import describe_rules
>>> print(describe_rules(DeriveRules(), "parallel")[0])
Baseline (BASE): mean of the ratings on study days -7 to -1; missing with fewer than 4 ratings.
"""

from __future__ import annotations

from ldn_stats.derive.rules import DeriveRules
from ldn_stats.errors import SpecError

__all__ = ["describe_rules"]


def _days(window: tuple[int, int]) -> str:
    lo, hi = window
    return f"study day {lo}" if lo == hi else f"study days {lo} to {hi}"


def _baseline(rules: DeriveRules, window: tuple[int, int]) -> str:
    what = "mean of the ratings" if rules.baseline_method == "mean" else "last rating"
    n = rules.baseline_min_ratings
    return (
        f"Baseline (BASE): {what} on {_days(window)}; missing with fewer than {n} "
        f"rating{'s' if n > 1 else ''}."
    )


def _percent(threshold: float) -> str:
    return f"{-threshold:g}%" if threshold < 0 else f"{threshold:g}% (an increase)"


def describe_rules(rules: DeriveRules, design: str) -> list[str]:
    """One sentence per derivation rule, as the derivation applies it.

    Parameters
    ----------
    rules : DeriveRules
        The rules.
    design : {"parallel", "crossover"}
        Which derivation the sentences describe.

    Returns
    -------
    list of str
        Sentences for BASE, AVAL (and AVISIT), CHG/PCHG, the responder flags and
        ANL01FL.

    Raises
    ------
    ldn_stats.errors.SpecError
        ``design`` is neither ``"parallel"`` nor ``"crossover"``.

    Examples
    --------
    >>> print(describe_rules(DeriveRules(), "crossover")[1])
    Period endpoint (AVAL): mean of the last 3 rated days of the period (washout days ...
    """
    if design == "parallel":
        lines = [_baseline(rules, rules.baseline_window)]
        if rules.visit_windows is None:
            L = rules.week_length
            weeks = (
                f"weeks 1 to {rules.n_weeks}" if rules.n_weeks
                else "every week up to the last on-treatment record"
            )
            lines.append(
                f"Weekly value (AVAL): mean of the daily ratings of week w (study days "
                f"{L}(w-1)+1 to {L}w); missing with fewer than {rules.week_min_days} of {L} "
                f"days rated. Analysis visits: {weeks}, every subject at every visit."
            )
        else:
            windows = "; ".join(
                f"{w.avisit}: days {w.lo} to {w.hi}, target {w.target_day}"
                for w in sorted(rules.visit_windows, key=lambda w: w.avisitn)
            )
            lines.append(
                "Visit value (AVAL): the rating nearest the window's target day (on a tie the "
                f"earlier day); missing when the window holds none. Windows: {windows}."
            )
    elif design == "crossover":
        if rules.crossover_baseline == "study":
            lines = [_baseline(rules, rules.crossover_baseline_window)]
        elif rules.crossover_baseline == "none":
            lines = ["No baseline (BASE): the periods are analysed on AVAL."]
        else:
            n = rules.period_baseline_min_ratings
            lines = [
                f"Baseline (BASE): mean of the ratings in the {rules.period_baseline_days} days "
                "before each period's first day (washout included); missing with fewer than "
                f"{n} rating{'s' if n > 1 else ''}."
            ]
        where = "the period" if rules.period_endpoint_days is None else (
            f"the last {rules.period_endpoint_days} days of the period"
        )
        lines.append(
            f"Period endpoint (AVAL): mean of the last {rules.period_last_k} rated days of "
            f"{where} (washout days excluded); missing with fewer than "
            f"{rules.period_min_ratings}."
        )
    else:
        raise SpecError(f"describe_rules: expected design 'parallel' or 'crossover', found "
                        f"{design!r}")
    lines += [
        "Change: CHG = AVAL - BASE; PCHG = 100 x CHG / BASE, missing when BASE is 0 or missing.",
        f"Responders: CRIT1FL = Y when PCHG <= {rules.crit1_pchg:g} (a reduction of at least "
        f"{_percent(rules.crit1_pchg)}), CRIT2FL = Y when PCHG <= {rules.crit2_pchg:g} (at "
        f"least {_percent(rules.crit2_pchg)}); N otherwise; missing when PCHG is missing.",
        f"Analysis flag: ANL01FL = Y when {rules.population_flag} = Y and BASE and AVAL are "
        "present; N otherwise.",
    ]
    return lines
