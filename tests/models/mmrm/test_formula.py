"""Tests of the safe formula parser (``ldn_stats.models.mmrm.formula``).

Witness for term order and names: R's ``attr(terms(f), "term.labels")``,
e.g. ``terms(y ~ a*b*c)`` gives ``a b c a:b a:c b:c a:b:c`` and the coefficient
names of the R mmrm fits in ``tests/reference/mmrm_r_reference.json``.
"""

from __future__ import annotations

import pytest

from ldn_stats.errors import FormulaError
from ldn_stats.models.mmrm.formula import CovTerm, RandomTerm, parse_formula
from support.reference_data import r_reference


def test_primary_mmrm_formula():
    f = parse_formula("CHG ~ BASE + TRT01P * AVISIT + us(AVISIT | USUBJID)")
    assert f.response == "CHG"
    assert f.terms == (("BASE",), ("TRT01P",), ("AVISIT",), ("TRT01P", "AVISIT"))
    assert f.intercept is True
    assert f.covariance == CovTerm("us", ("AVISIT",), "USUBJID", None)
    assert f.random == ()
    assert f.variables() == ("CHG", "BASE", "TRT01P", "AVISIT", "USUBJID")
    assert f.text == "CHG ~ BASE + TRT01P * AVISIT + us(AVISIT | USUBJID)"


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        # R: attr(terms(y ~ a*b*c), "term.labels")
        ("y ~ a*b*c", ("a", "b", "c", "a:b", "a:c", "b:c", "a:b:c")),
        # R: interactions after main effects, whatever the written order
        ("y ~ a:b + c + a", ("c", "a", "a:b")),
        # R: variables in an interaction follow their first appearance
        ("y ~ b:a + a", ("a", "b:a")),
        ("y ~ a + b + a:b + b:a", ("a", "b", "a:b")),
        ("y ~ a*b - a:b", ("a", "b")),
        ("y ~ a + a", ("a",)),
    ],
)
def test_term_order_as_r_terms(text, labels):
    assert parse_formula(text).term_labels() == labels


def test_term_labels_of_every_reference_fit():
    """The JSON's R formulas parse into the terms their coefficient names come from."""
    for fits in r_reference().values():
        for entry in fits.values():
            f = parse_formula(entry["formula"])
            names = entry["coef"]["term"]
            for term in f.term_labels():
                parts = term.split(":")
                assert any(
                    n.count(":") == len(parts) - 1
                    and all(p.startswith(v) for p, v in zip(n.split(":"), parts, strict=True))
                    for n in names
                ), (term, names)


@pytest.mark.parametrize(
    ("text", "intercept"),
    [("y ~ x", True), ("y ~ x - 1", False), ("y ~ -1 + x", False), ("y ~ 0 + x", False),
     ("y ~ x + 0", False), ("y ~ 1", True), ("y ~ 0", False), ("y ~ x + 1", True)],
)
def test_intercept(text, intercept):
    assert parse_formula(text).intercept is intercept


@pytest.mark.parametrize(
    ("text", "cov"),
    [
        ("y ~ x + cs(AVISIT | ARMCD / USUBJID)", CovTerm("cs", ("AVISIT",), "USUBJID", "ARMCD")),
        ("y ~ sp_exp(VISITN, VISITN2 | USUBJID)",
         CovTerm("sp_exp", ("VISITN", "VISITN2"), "USUBJID", None)),
        ("y ~ toeph(V|S)", CovTerm("toeph", ("V",), "S", None)),
    ],
)
def test_covariance_terms(text, cov):
    assert parse_formula(text).covariance == cov


@pytest.mark.parametrize("structure", ["us", "cs", "csh", "ar1", "ar1h", "ad", "adh",
                                       "toep", "toeph", "sp_exp", "sp_gau"])
def test_every_structure_is_accepted(structure):
    assert parse_formula(f"y ~ x + {structure}(V | S)").covariance.structure == structure


def test_random_terms():
    f = parse_formula("AVAL ~ TRTA + APERIOD + (1 | USUBJID) + (1 | USUBJID:APERIOD)")
    assert f.random == (RandomTerm(("1",), ("USUBJID",)),
                        RandomTerm(("1",), ("USUBJID", "APERIOD")))
    assert f.terms == (("TRTA",), ("APERIOD",))
    assert f.variables() == ("AVAL", "TRTA", "APERIOD", "USUBJID")


def test_names_with_dots_underscores_digits_and_backquotes():
    f = parse_formula("y.1 ~ FEV1_BL + x.2 + `odd name:2` + us(VIS_1 | ID.x)")
    assert f.response == "y.1"
    assert f.terms == (("FEV1_BL",), ("x.2",), ("odd name:2",))
    assert f.covariance.time == ("VIS_1",)


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("y ~ __import__('os')", 15),  # the quote is not a token
        ("y ~ np.log(x)", 4),  # function calls are refused at the name
        ("y ~ log(x) + z", 4),
        ("y ~ x + 2", 8),
        ("y ~ x ** 2", 7),
        ("y ~ x; import os", 5),
        ("y ~ x +", 7),
        ("y ~ us(AVISIT USUBJID)", 14),
        ("log(y) ~ x", 3),
        ("~ x", 0),
        ("y ~ x + ar1(A, B | S)", None),  # only spatial structures take several coordinates
        ("y ~ x + us(A|S) + cs(A|S)", None),  # one covariance term
        ("y x", 2),
        ('y ~ "x"', 4),
        ("y ~ x - us(A|S)", None),
    ],
)
def test_junk_is_rejected_with_position(text, position):
    with pytest.raises(FormulaError) as info:
        parse_formula(text)
    message = str(info.value)
    assert repr(text) in message or text in message
    if position is not None:
        assert f"position {position}" in message


@pytest.mark.parametrize("bad", ["", "   ", None, 3])
def test_empty_or_non_string(bad):
    with pytest.raises(FormulaError):
        parse_formula(bad)


def test_parsing_never_evaluates(monkeypatch):
    """A formula naming builtins is data: no builtin is looked up or called."""
    import builtins

    def boom(*args, **kwargs):  # pragma: no cover - must not run
        raise AssertionError("eval called")

    monkeypatch.setattr(builtins, "eval", boom)
    monkeypatch.setattr(builtins, "exec", boom)
    f = parse_formula("exec ~ eval + open:compile")
    assert f.terms == (("eval",), ("open", "compile"))


def test_formula_is_frozen():
    f = parse_formula("y ~ x")
    with pytest.raises(AttributeError):
        f.response = "z"
