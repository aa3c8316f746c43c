"""The analysis kinds on real fits (replacing the adapter tests that ran on fake results).

Each kind's :class:`KindFit` must carry the model's own numbers: the differences
are the model's ``pairwise()`` rows (treatment minus reference), the LS-means its
``lsmeans()`` rows, the details its fit statistics.
"""

from __future__ import annotations

import pandas as pd
import pytest

from ldn_stats import crossover, mmrm
from ldn_stats.report.kinds import get_kind, kinds
from ldn_stats.report.selection import select
from ldn_stats.report.spec import parse_spec
from ldn_stats.vocabulary import INFERENCE
from support.report_synth import CROSSOVER_SPEC, PARALLEL_SPEC

MMRM_FORMULA = "CHG ~ BASE + TRT01P * AVISIT + us(AVISIT | USUBJID)"


def _spec(text, **replace):
    for a, b in replace.items():
        text = text.replace(a, b)
    return parse_spec(text, source="t.toml")


def test_registry_lists_every_kind_once_with_its_design():
    assert {k.name: k.design for k in kinds()} == {
        "ancova": "parallel", "mmrm": "parallel", "crossover": "crossover",
        "crossover-ols": "crossover", "crossover-diary": "crossover", "mi": "parallel"}


def test_mmrm_kind_differences_are_the_engine_pairwise_treatment_minus_reference(
        parallel_synth):
    trial, ana = parallel_synth
    spec = _spec(PARALLEL_SPEC, **{'kind = "ancova"': 'kind = "mmrm"',
                                   '"CHG ~ BASE + TRT01P"': f'"{MMRM_FORMULA}"'})
    sel = select(spec, trial, ana)
    fit = get_kind("mmrm").fit(sel, spec.model)
    data = sel.ana.copy()
    data["TRT01P"] = pd.Categorical(data["TRT01P"], ["PBO", "LDN"])
    ref = mmrm(MMRM_FORMULA, data, df_method="kenward-roger").pairwise("TRT01P", by="AVISIT")
    assert fit.differences["contrast"].tolist() == ["LDN - PBO"] * 4
    assert fit.differences["visit"].tolist() == ["Week 1", "Week 2", "Week 3", "Week 4"]
    for col in INFERENCE:
        assert fit.differences[col].tolist() == pytest.approx(ref[col].tolist(), rel=1e-12)
    assert fit.lsmeans.columns.tolist() == ["visit", "group", *INFERENCE]
    details = dict(fit.details)
    assert details["Converged"] == "yes" and details["Degrees of freedom"] == (
        "Kenward-Roger (SAS PROC MIXED DDFM=KR)")
    assert details["Covariance Week 2, Week 1"] == pytest.approx(
        float(fit.model.covariance.iloc[1, 0]), rel=1e-12)
    assert fit.covariance is not None and len(fit.residuals) == fit.model.n_obs
    assert fit.primary()["visit"] == "Week 4"
    # the footnotes name the Kenward-Roger variant (issue 10: SAS's by default)
    assert fit.df_method == "Kenward-Roger (SAS PROC MIXED DDFM=KR)"
    assert details["Convergence criterion"].startswith("Newton decrement")


def test_crossover_kind_collects_effects_variances_and_icc(crossover_synth):
    trial, ana = crossover_synth
    spec = _spec(CROSSOVER_SPEC, **{'kind = "crossover-ols"': 'kind = "crossover"'})
    sel = select(spec, trial, ana)
    fit = get_kind("crossover").fit(sel, spec.model)
    ref = crossover(sel.ana, outcome="AVAL", df_method="kenward-roger", reference="PBO")
    assert fit.differences.iloc[0]["contrast"] == "LDN - PBO"
    assert fit.differences.iloc[0]["estimate"] == pytest.approx(
        ref.effects.iloc[0]["estimate"], rel=1e-12)
    assert fit.lsmeans["group"].tolist() == ["PBO", "LDN"]
    d = dict(fit.details)
    vc = ref.variance_components.set_index("component")["estimate"]
    assert d["Variance: between-subject"] == pytest.approx(vc["between-subject"], rel=1e-12)
    assert d["Intra-class correlation"] == pytest.approx(ref.icc, rel=1e-12)
    assert d["Subjects"] == ref.n_subjects
    assert len(fit.extra["carryover"]) == 1 and len(fit.extra["period_effects"]) == 1


def test_design_mismatch_and_unknown_kind_are_spec_errors():
    from ldn_stats.errors import SpecError

    with pytest.raises(SpecError, match="unknown analysis kind 'nope'"):
        get_kind("nope")
    with pytest.raises(SpecError, match=r"model\.kind: expected one of"):
        _spec(PARALLEL_SPEC, **{'kind = "ancova"': 'kind = "nope"'})
