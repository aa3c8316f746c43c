"""Every column of every demo table's CSV is documented, and the CSV keeps full precision.

Witness: the demo report's own tables (``tests/tables/conftest.py``); the CSV read
back with pandas equals the table's numbers exactly (tolerance 0: shortest repr).
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from ldn_stats.tables.columns import RESULT_COLUMNS, column_meaning
from ldn_stats.tables.render import to_csv


def test_every_demo_csv_column_has_a_meaning(demo_tables):
    missing = []
    for t in demo_tables:
        for col in t.numeric.columns:
            try:
                assert column_meaning(t.key, str(col))
            except KeyError:
                missing.append(f"{t.key}.{col}")
    assert missing == []


def test_an_undocumented_column_is_a_key_error():
    with pytest.raises(KeyError, match="'lsmeans': column 'nope'"):
        column_meaning("lsmeans", "nope")
    assert all(len(v) > 10 for scope in RESULT_COLUMNS.values() for v in scope.values())


def test_demo_csvs_read_back_bit_for_bit(demo_tables):
    for t in demo_tables:
        back = pd.read_csv(io.StringIO(to_csv(t)), keep_default_na=False, na_values=[""])
        for col in t.numeric.columns:
            want = t.numeric[col]
            if pd.api.types.is_float_dtype(want):
                np.testing.assert_array_equal(back[col].to_numpy(float), want.to_numpy(float),
                                              err_msg=f"{t.key}.{col}")
