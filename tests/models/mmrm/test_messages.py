"""Messages of the MMRM API for careless input (issue 11, item 7): a typed error naming the
argument, column, row and value, never an AttributeError, TypeError or a silent inf."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ldn_stats import mmrm
from ldn_stats.errors import DataError, FormulaError, ModelError
from ldn_stats.models.mmrm import optimize


def _data(n: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    d = pd.DataFrame({"ID": np.repeat(np.arange(n), 3), "V": np.tile(["a", "b", "c"], n),
                      "G": np.repeat(np.where(np.arange(n) % 2, "T", "P"), 3)})
    d["Y"] = rng.normal(size=len(d)) + np.repeat(rng.normal(size=n), 3)
    return d


FORMULA = "Y ~ G * V + us(V | ID)"


def test_a_formula_that_is_not_text_is_a_formula_error():
    with pytest.raises(FormulaError, match=r"expected a string .* found int 123"):
        mmrm(123, _data())


def test_subject_ids_mixing_numbers_and_text_are_named():
    d = _data()
    d["ID"] = d["ID"].astype(object)
    d.loc[d["ID"] == 3, "ID"] = "3x"
    with pytest.raises(DataError, match=r"subject column 'ID' mixes text and numbers .*'3x'"):
        mmrm(FORMULA, d)


def test_a_text_weights_column_is_named():
    d = _data().assign(W="heavy")
    with pytest.raises(DataError, match=r"weights column 'W', row 0: expected a number, "
                                        r"found 'heavy'"):
        mmrm(FORMULA, d, weights="W")


@pytest.mark.parametrize("scale", [1e150, 1e-150])
def test_extreme_outcome_scales_are_refused_not_given_infinite_df(scale):
    d = _data()
    d["Y"] = d["Y"] * scale
    with pytest.raises(ModelError, match="rescale it"):
        mmrm(FORMULA, d, df_method="kenward-roger")


def test_moderate_scales_keep_finite_df():
    # witness: the df are scale invariant, so the unscaled fit's df; tolerance 1e-3 relative
    # (the optimizer stops at a slightly different point on the rescaled likelihood)
    ref = mmrm(FORMULA, _data(), df_method="satterthwaite").coef["df"].to_numpy()
    d = _data()
    d["Y"] = d["Y"] * 1e40
    got = mmrm(FORMULA, d, df_method="satterthwaite").coef["df"].to_numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-3)


def test_memory_error_is_not_reported_as_non_convergence(monkeypatch):
    def no_memory(method, problem, x0):
        raise MemoryError

    monkeypatch.setattr(optimize, "_run", no_memory)
    with pytest.raises(MemoryError):  # on main: ConvergenceError "no optimizer converged"
        mmrm(FORMULA, _data())
