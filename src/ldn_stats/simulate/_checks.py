"""Field checks shared by the design dataclasses; each raises a SpecError naming the field."""

from __future__ import annotations

import math

from ldn_stats.errors import SpecError

__all__: list[str] = []

SEVERITIES: tuple[str, str, str] = ("MILD", "MODERATE", "SEVERE")


def _fail(owner: str, name: str, expected: str, found: object) -> SpecError:
    return SpecError(f"{owner}.{name}: expected {expected}, found {found!r}")


def _check_prob(owner: str, name: str, value: float) -> None:
    if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
        raise _fail(owner, name, "a probability in [0, 1]", value)


def _check_nonneg(owner: str, name: str, value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
        raise _fail(owner, name, "a finite number >= 0", value)


def _check_int(owner: str, name: str, value: int, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _fail(owner, name, f"an integer >= {minimum}", value)


def _check_code(owner: str, name: str, value: str) -> None:
    if not isinstance(value, str) or not value or "-" in value or value != value.strip():
        raise _fail(owner, name, "a non-empty treatment code without '-' or spaces", value)
