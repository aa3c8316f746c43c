"""Analysis kind ``crossover-diary``: the daily-diary crossover mixed model.

:func:`ldn_stats.diary_crossover` on every rated day of every period (subject
and subject-by-period random effects, a linear trend within periods); its data
are diary days, not period endpoints, so it feeds only the LS-means, effects,
model and residual outputs.

Its own spec section ``[diary]`` takes one key, ``random_slope`` (default false):
each subject-by-period gets its own trend over the days, ``(1 + APERDY |
USUBJID:APERIOD)`` with an unstructured 2 x 2 covariance.

Examples
--------
>>> from ldn_stats.report.kinds import get_kind
>>> sorted(get_kind("crossover-diary").outputs)
['crossover_effects', 'lsmeans', 'model', 'residuals']
>>> read_diary_section({"random_slope": True}, "x.toml")
DiaryOptions(random_slope=True)
"""

from __future__ import annotations

from dataclasses import dataclass

from ldn_stats import derive
from ldn_stats.errors import SpecError
from ldn_stats.models.crossover import diary_crossover
from ldn_stats.report.kinds import register
from ldn_stats.report.kinds.base import AnalysisKind, KindFit
from ldn_stats.report.kinds.crossover import crossover_fit

__all__ = ["KIND", "DiaryOptions", "read_diary_section"]


@dataclass(frozen=True)
class DiaryOptions:
    """Options of the ``crossover-diary`` kind (spec section ``[diary]``).

    Parameters
    ----------
    random_slope : bool
        A random trend over the days per subject and period.
    """

    random_slope: bool = False


def read_diary_section(table: dict, source: str) -> DiaryOptions:
    """Validate a spec's ``[diary]`` table into :class:`DiaryOptions`.

    Raises
    ------
    SpecError
        An unknown key or a value that is not true/false, naming ``diary.<key>``.

    Examples
    --------
    >>> read_diary_section({}, "x.toml")
    DiaryOptions(random_slope=False)
    >>> read_diary_section({"random_slope": "yes"}, "x.toml")
    Traceback (most recent call last):
    ...
    ldn_stats.errors.SpecError: x.toml: diary.random_slope: expected true or false, found 'yes'
    """
    fields = sorted(DiaryOptions.__dataclass_fields__)
    unknown = sorted(set(table) - set(fields))
    if unknown:
        raise SpecError(f"{source}: diary.{unknown[0]}: unknown key; expected one of {fields}")
    value = table.get("random_slope", False)
    if not isinstance(value, bool):
        raise SpecError(f"{source}: diary.random_slope: expected true or false, found {value!r}")
    return DiaryOptions(random_slope=value)


def _fit(sel, model) -> KindFit:
    opt = sel.spec.options if isinstance(sel.spec.options, DiaryOptions) else DiaryOptions()
    res = diary_crossover(sel.ana, outcome=model.outcome, day="APERDY",
                          df_method=model.df_method, reference=sel.reference,
                          random_slope=opt.random_slope)
    return crossover_fit("crossover-diary", res, f"{res.formula} (daily diary, REML)",
                         model.df_method)


def _derive(trial, rules, parameter):
    return derive.crossover_diary(trial, param=parameter, rules=rules)


KIND = register(AnalysisKind(
    name="crossover-diary", design="crossover",
    summary="daily-diary crossover mixed model on every rated day",
    fit=_fit, derive=_derive, section="diary", read_section=read_diary_section,
    outputs=frozenset({"lsmeans", "crossover_effects", "model", "residuals"})))
