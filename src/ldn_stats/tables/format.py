"""Number formatting for report tables: the only place numbers become strings.

Rules (one per function): fixed decimals with round-half-even on the binary
value as Python's ``format`` does, no negative zero, an empty cell for a missing
value, p-values with three decimals and ``<0.001`` below that, confidence
intervals as ``(low, high)``, counts as ``n (x.x%)``. A nonzero standard error,
SD or confidence bound never prints as zero: where the fixed decimals would
round it to ``0.00`` it gets two significant digits instead (``0.0043``), so a
bone-density SE is not shown as ``(0.00)``.

Examples
--------
>>> format_number(-0.0004, 2)
'0.00'
>>> format_p(0.00004)
'<0.001'
>>> format_ci(-0.951, 0.274, 2)
'(-0.95, 0.27)'
>>> format_mean_sd(0.0213, 0.0043, 2)
'0.02 (0.0043)'
"""

from __future__ import annotations

import math

__all__ = [
    "format_ci",
    "format_mean_sd",
    "format_n_pct",
    "format_number",
    "format_p",
]


def _missing(x: object) -> bool:
    if x is None:
        return True
    try:
        return math.isnan(float(x))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def format_number(x: float | None, decimals: int = 2, *, keep_nonzero: bool = False) -> str:
    """Format a number with fixed decimals; missing values give an empty string.

    Parameters
    ----------
    x : float or None
        The number; ``None``, NaN and ``pandas.NA`` count as missing.
    decimals : int, default 2
        Digits after the decimal point.
    keep_nonzero : bool, default False
        When the rounded value would be zero but ``x`` is not, show two
        significant digits instead (for SEs, SDs and CI bounds).

    Returns
    -------
    str
        The formatted number, never ``-0.00``; ``'Inf'``/``'-Inf'`` for infinities.

    Examples
    --------
    >>> format_number(1.23456, 3)
    '1.235'
    >>> format_number(float("nan"))
    ''
    >>> format_number(-0.001, 1)
    '0.0'
    >>> format_number(-0.001, 1, keep_nonzero=True), format_number(0.00456, 2, keep_nonzero=True)
    ('-0.0010', '0.0046')
    """
    if _missing(x):
        return ""
    v = float(x)  # type: ignore[arg-type]
    if math.isinf(v):
        return "Inf" if v > 0 else "-Inf"
    s = f"{v:.{decimals}f}"
    if keep_nonzero and v != 0.0 and float(s) == 0.0:
        digits = max(decimals, 1 - math.floor(math.log10(abs(v))))  # two significant digits
        return f"{v:.{digits}f}"
    if s.startswith("-") and float(s) == 0.0:
        s = s[1:]
    return s


def format_p(p: float | None, decimals: int = 3) -> str:
    """Format a p-value: ``decimals`` digits, ``<0.001`` (for 3 digits) below the floor.

    Parameters
    ----------
    p : float or None
        The p-value in [0, 1].
    decimals : int, default 3
        Digits shown; the floor is ``10**-decimals``.

    Returns
    -------
    str
        For example ``'0.270'``, ``'<0.001'``, ``'>0.999'``; empty when missing.

    Examples
    --------
    >>> format_p(0.2704)
    '0.270'
    >>> format_p(0.0009)
    '<0.001'
    >>> format_p(0.99995)
    '>0.999'
    """
    if _missing(p):
        return ""
    v = float(p)  # type: ignore[arg-type]
    floor = 10.0**-decimals
    if v < floor:
        return f"<{floor:.{decimals}f}"
    if v > 1.0 - floor:
        return f">{1.0 - floor:.{decimals}f}"
    return f"{v:.{decimals}f}"


def format_ci(low: float | None, high: float | None, decimals: int = 2) -> str:
    """Format a confidence interval as ``(low, high)``; empty if either end is missing.

    Parameters
    ----------
    low, high : float or None
        The interval's ends.
    decimals : int, default 2
        Digits after the decimal point.

    Returns
    -------
    str

    Examples
    --------
    >>> format_ci(0.1, 0.25, 1)
    '(0.1, 0.2)'
    >>> format_ci(None, 1.0)
    ''
    """
    if _missing(low) or _missing(high):
        return ""
    return (f"({format_number(low, decimals, keep_nonzero=True)}, "
            f"{format_number(high, decimals, keep_nonzero=True)})")


def format_n_pct(n: int | float, total: int | float, decimals: int = 1) -> str:
    """Format a count with its percentage of ``total`` as ``n (x.x%)``.

    Parameters
    ----------
    n : int
        The count.
    total : int
        The denominator; a zero denominator gives ``n`` alone.
    decimals : int, default 1
        Digits of the percentage.

    Returns
    -------
    str

    Examples
    --------
    >>> format_n_pct(22, 49)
    '22 (44.9%)'
    >>> format_n_pct(0, 0)
    '0'
    """
    if _missing(n):
        return ""
    count = int(n)
    if _missing(total) or float(total) == 0:
        return f"{count}"
    return f"{count} ({format_number(100.0 * count / float(total), decimals)}%)"


def format_mean_sd(mean: float | None, sd: float | None, decimals: int = 1) -> str:
    """Format a mean and standard deviation as ``mean (sd)``.

    Parameters
    ----------
    mean, sd : float or None
        The summary statistics; a missing SD (one subject) shows the mean alone.
    decimals : int, default 1
        Digits after the decimal point.

    Returns
    -------
    str

    Examples
    --------
    >>> format_mean_sd(6.234, 1.05)
    '6.2 (1.1)'
    >>> format_mean_sd(6.2, float("nan"))
    '6.2'
    """
    if _missing(mean):
        return ""
    if _missing(sd):
        return format_number(mean, decimals)
    return f"{format_number(mean, decimals)} ({format_number(sd, decimals, keep_nonzero=True)})"
