"""A safe parser for MMRM model formulas (parsed, never evaluated as Python).

Formulas come from analysis spec files, so they are read by a small tokenizer
and a recursive-descent parser over a fixed grammar; no part of the text is
ever handed to :func:`eval`. The grammar is the subset of R's model formulas
that R ``mmrm`` and ``lme4`` use for repeated-measures models::

    formula   := NAME "~" rhs
    rhs       := ["-"] item (("+" | "-") item)*
    item      := "0" | "1" | product | covterm | random
    product   := inter ("*" inter)*            # a*b  ->  a + b + a:b
    inter     := NAME (":" NAME)*              # a:b  ->  interaction
    covterm   := STRUCT "(" NAME ("," NAME)* "|" [NAME "/"] NAME ")"
    random    := "(" ("1" | "0" | NAME) ("+" ...)* "|" NAME (":" NAME)* ")"
    NAME      := [A-Za-z_.][A-Za-z0-9_.]*  |  `any text without a backquote`

``STRUCT`` is one of the covariance structures of :data:`COVARIANCE_STRUCTURES`.
Function calls such as ``log(x)``, strings, arithmetic and anything else are
rejected with a :class:`~ldn_stats.errors.FormulaError` naming the position.

Examples
--------
>>> f = parse_formula("FEV1 ~ RACE + ARMCD * AVISIT + us(AVISIT | USUBJID)")
>>> f.terms
(('RACE',), ('ARMCD',), ('AVISIT',), ('ARMCD', 'AVISIT'))
>>> f.covariance
CovTerm(structure='us', time=('AVISIT',), subject='USUBJID', group=None)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ldn_stats.errors import FormulaError

__all__ = [
    "COVARIANCE_STRUCTURES",
    "MAX_TERMS",
    "SPATIAL_STRUCTURES",
    "CovTerm",
    "Formula",
    "RandomTerm",
    "parse_formula",
]

#: Covariance structures accepted in the formula (the names of R mmrm).
COVARIANCE_STRUCTURES: tuple[str, ...] = (
    "us", "cs", "csh", "ar1", "ar1h", "ad", "adh", "toep", "toeph", "sp_exp", "sp_gau",
)
#: Most fixed-effect terms a formula may have (``a*b*...`` is refused before it
#: expands past this: 26 crossed factors would give 2^26 - 1 terms).
MAX_TERMS = 256

#: Spatial structures, whose "time" part is one or more numeric coordinates.
SPATIAL_STRUCTURES: tuple[str, ...] = ("sp_exp", "sp_gau")


@dataclass(frozen=True)
class CovTerm:
    """The residual (R-side) covariance term of an MMRM formula.

    Parameters
    ----------
    structure : str
        One of :data:`COVARIANCE_STRUCTURES`, e.g. ``"us"``.
    time : tuple of str
        ``(visit factor,)`` for the visit-indexed structures, or the spatial
        coordinates for ``sp_exp`` / ``sp_gau``.
    subject : str
        Subject identifier column: observations of one subject are correlated.
    group : str or None
        Column whose levels get separate covariance parameters
        (``us(AVISIT | ARMCD / USUBJID)``), else None.

    Examples
    --------
    >>> parse_formula("y ~ x + sp_exp(T1, T2 | ID)").covariance
    CovTerm(structure='sp_exp', time=('T1', 'T2'), subject='ID', group=None)
    """

    structure: str
    time: tuple[str, ...]
    subject: str
    group: str | None


@dataclass(frozen=True)
class RandomTerm:
    """A random-effects term ``(expr | grouping)`` (G-side, lme4 syntax).

    Parameters
    ----------
    expr : tuple of str
        Random-effect model terms; ``("1",)`` for a random intercept.
    grouping : tuple of str
        Grouping columns; ``USUBJID:APERIOD`` gives ``("USUBJID", "APERIOD")``.

    The columns of ``Z`` follow lme4: an intercept unless ``0`` is given (``(ADY |
    USUBJID)`` is ``(1 + ADY | USUBJID)``), then each named numeric column; their
    covariance ``G`` is unstructured. ``(1 | S) + (0 + ADY | S)`` gives
    uncorrelated intercept and slope.

    Examples
    --------
    >>> parse_formula("y ~ trt + (1 | USUBJID:APERIOD)").random
    (RandomTerm(expr=('1',), grouping=('USUBJID', 'APERIOD')),)
    >>> t = parse_formula("y ~ trt + (ADY | USUBJID)").random[0]
    >>> t.columns(), t.label()
    (('(Intercept)', 'ADY'), '(1 + ADY | USUBJID)')
    """

    expr: tuple[str, ...]
    grouping: tuple[str, ...]

    def columns(self) -> tuple[str, ...]:
        """Names of the columns of ``Z``: ``"(Intercept)"`` first when there is one."""
        names = [e for e in dict.fromkeys(self.expr) if e not in ("0", "1")]
        if "0" not in self.expr:
            names.insert(0, "(Intercept)")
        return tuple(names)

    def label(self) -> str:
        """The term as text, with its intercept spelled out: ``(1 + ADY | USUBJID)``."""
        cols = self.columns()
        parts = ["1" if c == "(Intercept)" else c for c in cols]
        if "(Intercept)" not in cols:
            parts.insert(0, "0")
        return f"({' + '.join(parts)} | {':'.join(self.grouping)})"


@dataclass(frozen=True)
class Formula:
    """A parsed model formula.

    Parameters
    ----------
    response : str
        The outcome column.
    terms : tuple of tuple of str
        Fixed-effect terms, each a tuple of variable names (one name for a main
        effect, several for an interaction), in the order of R's ``terms()``:
        by order of interaction, then by appearance. Variables inside an
        interaction follow their first appearance in the formula.
    intercept : bool
        Whether the fixed effects have an intercept (``-1`` / ``+0`` remove it).
    covariance : CovTerm or None
        The residual covariance term, if any.
    random : tuple of RandomTerm
        Random-effects terms.
    text : str
        The formula as given.

    Examples
    --------
    >>> f = parse_formula("y ~ a*b - 1")
    >>> f.terms, f.intercept
    ((('a',), ('b',), ('a', 'b')), False)
    >>> f.term_labels()
    ('a', 'b', 'a:b')
    """

    response: str
    terms: tuple[tuple[str, ...], ...]
    intercept: bool
    covariance: CovTerm | None
    random: tuple[RandomTerm, ...]
    text: str

    def variables(self) -> tuple[str, ...]:
        """Every column the formula uses, each once, in order of first use.

        The response comes first, then fixed-effect variables, then the
        covariance term's time, group and subject columns, then the random
        effects' variables and grouping columns.

        Returns
        -------
        tuple of str

        Examples
        --------
        >>> parse_formula("y ~ x + us(V | G / S) + (1 | S)").variables()
        ('y', 'x', 'V', 'G', 'S')
        """
        seen: dict[str, None] = {self.response: None}
        for term in self.terms:
            seen.update(dict.fromkeys(term))
        if self.covariance is not None:
            seen.update(dict.fromkeys(self.covariance.time))
            if self.covariance.group is not None:
                seen[self.covariance.group] = None
            seen[self.covariance.subject] = None
        for rterm in self.random:
            seen.update(dict.fromkeys(e for e in rterm.expr if e not in ("0", "1")))
            seen.update(dict.fromkeys(rterm.grouping))
        return tuple(seen)

    def term_labels(self) -> tuple[str, ...]:
        """R-style labels of the fixed-effect terms (``"ARMCD:AVISIT"``).

        Returns
        -------
        tuple of str

        Examples
        --------
        >>> parse_formula("y ~ b:a + a").term_labels()
        ('a', 'b:a')
        """
        return tuple(":".join(t) for t in self.terms)


# --------------------------------------------------------------------------- tokenizer

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<bq>`[^`]+`)
  | (?P<num>[0-9]+(?![A-Za-z_.0-9]))
  | (?P<name>[A-Za-z_.][A-Za-z0-9_.]*)
  | (?P<op>[~+\-*:|/(),])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Tok:
    kind: str  # "name", "num", "op", "end"
    value: str
    pos: int


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None:
            raise FormulaError(
                f"formula {text!r}: unexpected character {text[pos]!r} at position {pos}; "
                "only column names, 0/1, ~ + - * : | / , ( ) and backquoted names are allowed"
            )
        kind = m.lastgroup
        value = m.group()
        if kind == "bq":
            toks.append(_Tok("name", value[1:-1], pos))
        elif kind != "ws":
            toks.append(_Tok(str(kind), value, pos))
        pos = m.end()
    toks.append(_Tok("end", "", len(text)))
    return toks


# --------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokenize(text)
        self.i = 0

    # helpers
    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def _peek(self, k: int = 1) -> _Tok:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def _fail(self, expected: str, tok: _Tok | None = None) -> FormulaError:
        tok = tok or self.tok
        found = "end of formula" if tok.kind == "end" else repr(tok.value)
        return FormulaError(
            f"formula {self.text!r}: expected {expected} at position {tok.pos}, found {found}"
        )

    def _accept(self, op: str) -> bool:
        if self.tok.kind == "op" and self.tok.value == op:
            self.i += 1
            return True
        return False

    def _expect(self, op: str) -> None:
        if not self._accept(op):
            raise self._fail(repr(op))

    def _name(self, what: str = "a column name") -> str:
        tok = self.tok
        if tok.kind != "name":
            raise self._fail(what)
        self.i += 1
        return tok.value

    # grammar
    def parse(self) -> Formula:
        if self.tok.kind != "name":
            raise self._fail("the response column name")
        response = self._name()
        if self.tok.kind == "op" and self.tok.value == "(":
            raise self._fail("'~' (function calls are not allowed)")
        self._expect("~")
        added: list[tuple[str, ...]] = []
        removed: list[tuple[str, ...]] = []
        intercept = True
        cov: CovTerm | None = None
        random: list[RandomTerm] = []
        sign = 1
        if self._accept("-"):
            sign = -1
        while True:
            kind, payload = self._item()
            if kind == "intercept":
                # "+1" keeps it, "-1" and "+0" drop it, "-0" keeps it
                intercept = (payload == "1") == (sign == 1)
            elif kind == "cov":
                if sign < 0:
                    raise self._fail("a term after '-' (a covariance term cannot be removed)")
                if cov is not None:
                    raise FormulaError(
                        f"formula {self.text!r}: more than one covariance term; expected one"
                    )
                cov = payload
            elif kind == "random":
                if sign < 0:
                    raise self._fail("a term after '-' (a random term cannot be removed)")
                random.append(payload)
            else:
                (removed if sign < 0 else added).extend(payload)
            if self._accept("+"):
                sign = 1
            elif self._accept("-"):
                sign = -1
            elif self.tok.kind == "end":
                break
            else:
                raise self._fail("'+', '-' or the end of the formula")
        return Formula(
            response=response,
            terms=self._order_terms(added, removed),
            intercept=intercept,
            covariance=cov,
            random=tuple(random),
            text=self.text,
        )

    def _item(self):
        tok = self.tok
        if tok.kind == "num":
            if tok.value not in ("0", "1"):
                raise self._fail("0 or 1 (numbers other than the intercept are not allowed)")
            self.i += 1
            return "intercept", tok.value
        if tok.kind == "op" and tok.value == "(":
            return "random", self._random()
        if tok.kind == "name" and self._peek().kind == "op" and self._peek().value == "(":
            if tok.value in COVARIANCE_STRUCTURES:
                return "cov", self._covterm()
            raise FormulaError(
                f"formula {self.text!r}: function call {tok.value!r}(...) at position "
                f"{tok.pos} is not allowed; expected a column name or one of the "
                f"covariance structures {', '.join(COVARIANCE_STRUCTURES)}"
            )
        return "terms", self._product()

    def _product(self) -> list[tuple[str, ...]]:
        factors = [self._inter()]
        while self._accept("*"):
            factors.append(self._inter())
        # a*b*c -> every non-empty combination, in R's expansion order; duplicates (a*a,
        # a*b*a:b) are removed as the expansion goes, so memory stays within the cap
        out: dict[frozenset[str], tuple[str, ...]] = {frozenset(): ()}
        for fac in factors:
            for key, prev in list(out.items()):
                new = key | frozenset(fac)
                if new not in out:
                    out[new] = prev + tuple(v for v in fac if v not in key)
                    if len(out) - 1 > MAX_TERMS:
                        raise FormulaError(
                            f"formula {_short(self.text)}: the product of {len(factors)} "
                            f"factors expands to more than {MAX_TERMS} terms (up to "
                            f"{2 ** min(len(factors), 64) - 1:,}); expected at most "
                            f"{MAX_TERMS}: name the interactions you need with ':'"
                        )
        return [t for t in out.values() if t]

    def _inter(self) -> tuple[str, ...]:
        if self.tok.kind == "num":
            raise self._fail("a column name (0/1 cannot be part of an interaction)")
        names = [self._name()]
        if self.tok.kind == "op" and self.tok.value == "(":
            raise self._fail("an operator (function calls are not allowed)")
        while self._accept(":"):
            names.append(self._name())
        return tuple(dict.fromkeys(names))

    def _covterm(self) -> CovTerm:
        structure = self._name()
        self._expect("(")
        time = [self._name("a time/visit column")]
        while self._accept(","):
            time.append(self._name("a coordinate column"))
        self._expect("|")
        first = self._name("the subject (or group) column")
        group: str | None = None
        if self._accept("/"):
            group, subject = first, self._name("the subject column")
        else:
            subject = first
        self._expect(")")
        if structure not in SPATIAL_STRUCTURES and len(time) != 1:
            raise FormulaError(
                f"formula {self.text!r}: {structure}() takes one visit factor before '|', "
                f"found {len(time)}: {', '.join(time)}"
            )
        return CovTerm(structure=structure, time=tuple(time), subject=subject, group=group)

    def _random(self) -> RandomTerm:
        self._expect("(")
        expr: list[str] = []
        while True:
            if self.tok.kind == "num":
                if self.tok.value not in ("0", "1"):
                    raise self._fail("0, 1 or a column name")
                expr.append(self.tok.value)
                self.i += 1
            else:
                expr.append(self._name("1 or a column name"))
            if not self._accept("+"):
                break
        self._expect("|")
        grouping = [self._name("a grouping column")]
        while self._accept(":"):
            grouping.append(self._name("a grouping column"))
        self._expect(")")
        return RandomTerm(expr=tuple(expr), grouping=tuple(grouping))

    @staticmethod
    def _order_terms(
        added: list[tuple[str, ...]], removed: list[tuple[str, ...]]
    ) -> tuple[tuple[str, ...], ...]:
        # variable order = first appearance; a term's variables follow that order
        var_order: dict[str, int] = {}
        for t in added:
            for v in t:
                var_order.setdefault(v, len(var_order))
        drop = {frozenset(t) for t in removed}
        seen: dict[frozenset[str], tuple[str, ...]] = {}
        for t in added:
            key = frozenset(t)
            if key in drop or key in seen:
                continue
            seen[key] = tuple(sorted(t, key=var_order.__getitem__))
        terms = list(seen.values())  # insertion order = appearance
        if len(terms) > MAX_TERMS:
            raise FormulaError(f"the formula has {len(terms)} fixed-effect terms; expected at "
                               f"most {MAX_TERMS}")
        terms.sort(key=len)  # stable: by order of interaction, then appearance
        return tuple(terms)


def _short(text: str, limit: int = 80) -> str:
    """``text`` quoted, cut to ``limit`` characters for a message."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f" (+{len(text) - limit})"


def parse_formula(text: str) -> Formula:
    """Parse an MMRM formula without evaluating any of it.

    Parameters
    ----------
    text : str
        A formula such as ``"CHG ~ BASE + TRT01P * AVISIT + us(AVISIT | USUBJID)"``.

    Returns
    -------
    Formula

    Raises
    ------
    FormulaError
        For anything outside the grammar (the module docstring), with the
        position of the offending token.

    Notes
    -----
    Term order follows R's ``terms()``: main effects, then two-way
    interactions, ... each in order of appearance; ``a*b`` expands to
    ``a + b + a:b``; duplicated terms are kept once; ``- term`` removes a
    term; ``-1`` or ``+0`` removes the intercept. Validated against the term
    labels of R ``mmrm`` fits in ``tests/reference/mmrm_r_reference.json``.

    Examples
    --------
    >>> f = parse_formula("FEV1 ~ ARMCD * AVISIT + us(AVISIT | ARMCD / USUBJID)")
    >>> f.term_labels(), f.covariance.group
    (('ARMCD', 'AVISIT', 'ARMCD:AVISIT'), 'ARMCD')
    >>> parse_formula("y ~ `my var` + 0").terms
    (('my var',),)
    >>> parse_formula("y ~ __import__('os')")
    Traceback (most recent call last):
    ...
    ldn_stats.errors.FormulaError: formula "y ~ __import__('os')": unexpected character ...
    """
    if not isinstance(text, str):
        raise FormulaError(f"a formula must be a string, found {type(text).__name__}")
    if not text.strip():
        raise FormulaError("formula is empty; expected 'response ~ terms'")
    return _Parser(text).parse()
