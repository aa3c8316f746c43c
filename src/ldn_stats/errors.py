"""The exception hierarchy of ldn_stats.

Every error the package raises on purpose derives from :class:`LdnStatsError`,
so a caller (and the command line) can tell a user's mistake or a model's
failure from a bug.

Examples
--------
>>> from ldn_stats.errors import ConvergenceError, LdnStatsError
>>> issubclass(ConvergenceError, LdnStatsError)
True
"""

from __future__ import annotations

__all__ = [
    "ConvergenceError",
    "DataError",
    "FormulaError",
    "LdnStatsError",
    "ModelError",
    "SingularDesignError",
    "SpecError",
    "ValidationError",
]


class LdnStatsError(Exception):
    """Base class of every error raised by ldn_stats on purpose."""


class DataError(LdnStatsError):
    """A data file cannot be read: missing, empty, binary, badly delimited or not UTF-8."""


class ValidationError(DataError):
    """Tables were read but break the data contract.

    Parameters
    ----------
    message : str
        Human-readable report listing every failure.
    failures : pandas.DataFrame, optional
        One row per failure with columns ``table, column, usubjid, row, value, rule``.
    """

    def __init__(self, message: str, failures=None) -> None:
        super().__init__(message)
        self.failures = failures


class SpecError(LdnStatsError):
    """An analysis spec (TOML) is malformed or names something that does not exist."""


class FormulaError(LdnStatsError):
    """A model formula cannot be parsed or refers to unknown columns."""


class ModelError(LdnStatsError):
    """A model cannot be fitted or queried as asked."""


class SingularDesignError(ModelError):
    """The fixed-effects design is rank deficient or a covariance matrix is singular."""


class ConvergenceError(ModelError):
    """No optimizer converged; the message lists what was tried and how each attempt ended."""
