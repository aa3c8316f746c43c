"""The pandera models on their own: column rules of issue 2, and the model registry."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pytest

from ldn_stats.schemas import MODELS, AdaeModel, AdeffModel, AdslModel
from ldn_stats.schemas.adeff import PARAMETERS
from ldn_stats.schemas.adsl import design_of


def _adsl(**overrides):
    row = {"USUBJID": "001", "SITEID": "01", "AGE": 40.0, "SEX": "F", "RANDFL": "Y",
           "ITTFL": "Y", "SAFFL": "Y", "TRT01P": "LDN", "DCSREAS": None}
    row.update(overrides)
    return pd.DataFrame({k: [v] for k, v in row.items()}).astype(
        {k: "str" for k, v in row.items() if isinstance(v, str) or v is None}
    )


def test_registry_lists_the_trial_tables_first():
    assert list(MODELS)[:3] == ["adsl", "adeff", "adae"]
    assert MODELS["adsl"] is AdslModel and MODELS["adeff"] is AdeffModel
    assert MODELS["adae"] is AdaeModel


@pytest.mark.parametrize("model", [AdslModel, AdeffModel, AdaeModel])
def test_every_column_is_described(model):
    for name, column in model.to_schema().columns.items():
        assert column.description and len(column.description) > 15, name


@pytest.mark.parametrize(
    ("override", "ok"),
    # issue 9: CDISC ADSL - children, fractional ages, SEX U, no site are all valid
    [({}, True), ({"AGE": 11.4}, True), ({"AGE": 100.0}, True), ({"AGE": -1.0}, False),
     ({"AGE": 101.0}, True), ({"SEX": "f"}, False), ({"SEX": "U"}, True),
     ({"SEX": "UNDIFFERENTIATED"}, True), ({"SAFFL": "1"}, False), ({"AGEU": "YEARS"}, True),
     ({"AGEU": "yrs"}, False), ({"DCSREAS": "Adverse event"}, True), ({"SITEID": None}, True),
     ({"ITTFL": None}, True)],
)
def test_adsl_column_rules(override, ok):
    frame = _adsl(**override)
    if ok:
        AdslModel.validate(frame, lazy=True)
    else:
        with pytest.raises(pa.errors.SchemaErrors):
            AdslModel.validate(frame, lazy=True)


def test_adsl_usubjid_unique():
    frame = pd.concat([_adsl(), _adsl()], ignore_index=True)
    with pytest.raises(pa.errors.SchemaErrors, match="field_uniqueness"):
        AdslModel.validate(frame, lazy=True)


@pytest.mark.parametrize(
    ("columns", "design"),
    [(["TRT01P"], "parallel"), (["TRTSEQP"], "crossover"), (["TRT01P", "TRTSEQP"], None),
     (["USUBJID"], None)],
)
def test_design_of(columns, design):
    assert design_of(columns) == design


def test_known_parameters_and_ranges():
    ranges = {k: (p.low, p.high) for k, p in PARAMETERS.items()}
    assert ranges["PAINNRS"] == (0.0, 10.0) and ranges["PAINVAS"] == (0.0, 100.0)
    assert ranges["BPIINT"] == (0.0, 70.0) and ranges["PGIC"] == (1.0, 7.0)
    # issue 9: PARAMCD is open (the catalogue checks ranges, undeclared codes are noted)
    assert AdeffModel.to_schema().columns["PARAMCD"].checks == []


def test_adeff_ady_integer_nonzero_and_aval_nullable():
    frame = pd.DataFrame(
        {"USUBJID": ["1", "1"], "PARAMCD": ["PAINNRS"] * 2, "ADY": [-1, 0],
         "AVAL": [None, 3.0], "TRTA": [None, "LDN"]}
    ).astype({"USUBJID": "str", "PARAMCD": "str", "TRTA": "str"})
    with pytest.raises(pa.errors.SchemaErrors) as info:
        AdeffModel.validate(frame, lazy=True)
    cases = info.value.failure_cases
    assert cases["check"].tolist() == ["not_equal_to(0)"]
    assert cases["index"].tolist() == [1]


def test_adae_severity_and_seriousness():
    frame = pd.DataFrame(
        {"USUBJID": ["1"], "AEDECOD": ["Headache"], "ASTDY": pd.array([None], dtype="Int64"),
         "AESEV": ["SEVERE"], "AESER": ["Y"], "TRTA": ["LDN"]}
    ).astype({c: "str" for c in ("USUBJID", "AEDECOD", "AESEV", "AESER", "TRTA")})
    AdaeModel.validate(frame, lazy=True)
    with pytest.raises(pa.errors.SchemaErrors):
        AdaeModel.validate(frame.assign(AESEV="FATAL"), lazy=True)
