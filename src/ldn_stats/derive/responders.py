"""Change from baseline, percent change, responder flags and the analysis flag.

Examples
--------
>>> import pandas as pd
>>> from ldn_stats.derive.responders import derive_change
>>> frame = pd.DataFrame({"ITTFL": ["Y", "Y", "Y"], "AVAL": [3.0, 4.0, 2.0],
...                       "BASE": [6.0, 5.0, 0.0]})
>>> derive_change(frame)
  ITTFL  AVAL  BASE  CHG  PCHG CRIT1FL CRIT2FL ANL01FL
0     Y   3.0   6.0 -3.0 -50.0       Y       Y       Y
1     Y   4.0   5.0 -1.0 -20.0       N       N       Y
2     Y   2.0   0.0  2.0   NaN     NaN     NaN       Y
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ldn_stats.derive.rules import DeriveRules
from ldn_stats.errors import ValidationError

__all__ = ["derive_change", "responder_flag"]


def responder_flag(pchg: np.ndarray, threshold: float, tolerance: float = 1e-9) -> pd.Series:
    """``"Y"`` where ``PCHG <= threshold``, ``"N"`` where above, missing where PCHG is.

    Parameters
    ----------
    pchg : array-like of float
        Percent change from baseline.
    threshold : float
        Responder threshold in percent, e.g. -30 for a reduction of at least 30%.
    tolerance : float
        Percentage points of slack for binary floating point:
        ``PCHG <= threshold + tolerance`` counts as a response.

    Returns
    -------
    pandas.Series of str
        ``"Y"``, ``"N"`` or missing.

    Notes
    -----
    ADaM criterion flags (CRITyFL) take ``"Y"``/``"N"`` where the criterion can
    be evaluated and are left missing where it cannot (here: PCHG missing), so
    a missing outcome is never counted as a non-responder by accident; an
    analysis that imputes non-response must do so explicitly.

    Examples
    --------
    >>> responder_flag(np.array([-29.999999999999996, -29.9, np.nan]), -30).tolist()
    ['Y', 'N', nan]
    """
    pchg = np.asarray(pchg, dtype="float64")
    flag = np.where(pchg <= threshold + tolerance, "Y", "N").astype(object)
    flag[np.isnan(pchg)] = np.nan
    return pd.Series(flag, dtype="str")


def derive_change(
    frame: pd.DataFrame,
    rules: DeriveRules = DeriveRules(),  # noqa: B008 - frozen, immutable default
) -> pd.DataFrame:
    """Add CHG, PCHG, CRIT1FL, CRIT2FL and ANL01FL to a table with AVAL and BASE.

    Parameters
    ----------
    frame : pandas.DataFrame
        Needs ``AVAL``, ``BASE`` and the population flag column
        (``rules.population_flag``, default ``ITTFL``).
    rules : DeriveRules
        Supplies the responder thresholds ``crit1_pchg`` (-30), ``crit2_pchg``
        (-50), ``responder_tolerance`` and ``population_flag``.

    Returns
    -------
    pandas.DataFrame
        A copy of ``frame`` with the five columns appended (replaced if present).

    Raises
    ------
    ldn_stats.errors.ValidationError
        A required column is missing.

    Notes
    -----
    - ``CHG = AVAL - BASE``, missing when either is.
    - ``PCHG = 100 * CHG / BASE``, missing when CHG is missing or BASE is 0 (a
      percent change from zero pain is undefined).
    - ``CRIT1FL = "Y"`` when ``PCHG <= crit1_pchg`` (at least a 30% reduction),
      ``"N"`` otherwise; ``CRIT2FL`` likewise with ``crit2_pchg`` (50%). Both are
      missing when PCHG is missing (see :func:`responder_flag`).
    - ``ANL01FL = "Y"`` when the subject is in the population
      (``population_flag == "Y"``), BASE is present and AVAL is present; ``"N"``
      otherwise. It is never missing.

    Validated against hand computation (``tests/derive/test_derive_responders.py``).

    Examples
    --------
    >>> frame = pd.DataFrame({"ITTFL": ["Y", "N"], "AVAL": [4.2, 1.0], "BASE": [6.0, 4.0]})
    >>> derive_change(frame)[["PCHG", "CRIT1FL", "ANL01FL"]].round(6)
       PCHG CRIT1FL ANL01FL
    0 -30.0       Y       Y
    1 -75.0       Y       N
    """
    missing = [c for c in ("AVAL", "BASE", rules.population_flag) if c not in frame.columns]
    if missing:
        raise ValidationError(
            f"derive_change: missing column(s) {', '.join(missing)} "
            f"(found: {', '.join(map(str, frame.columns))})"
        )
    aval = frame["AVAL"].to_numpy(dtype="float64", na_value=np.nan)
    base = frame["BASE"].to_numpy(dtype="float64", na_value=np.nan)
    chg = aval - base
    with np.errstate(invalid="ignore", divide="ignore"):
        pchg = np.where(base != 0, 100.0 * chg / base, np.nan)
    in_population = (frame[rules.population_flag] == "Y").fillna(False).to_numpy(dtype=bool)
    anl = np.where(in_population & ~np.isnan(aval) & ~np.isnan(base), "Y", "N")
    index = frame.index
    crit1 = responder_flag(pchg, rules.crit1_pchg, rules.responder_tolerance)
    crit2 = responder_flag(pchg, rules.crit2_pchg, rules.responder_tolerance)
    return frame.assign(
        CHG=chg,
        PCHG=pchg,
        CRIT1FL=crit1.set_axis(index),
        CRIT2FL=crit2.set_axis(index),
        ANL01FL=pd.Series(anl, index=index, dtype="str"),
    )
