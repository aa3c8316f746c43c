"""Issue 9: crossover() on a plain long table whose sequences are labels (AB/BA, A/B, ABB),
and a primary analysis that survives a missing PCHG.

Witness: the same fit with the sequences spelled 'A-B' / 'B-A' (the form old main
accepted); tolerance 1e-10 relative (identical design, identical numbers).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ldn_stats import crossover


def _long(labels: dict[str, str], n: int = 20, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        seq = ("A", "B") if i % 2 == 0 else ("B", "A")
        for p, t in enumerate(seq, start=1):
            rows.append((f"S{i:02d}", labels["".join(seq)], p, t,
                         10 + rng.normal() + (t == "B") + 0.3 * p))
    return pd.DataFrame(rows, columns=["subject", "sequence", "period", "treatment", "y"])


@pytest.mark.parametrize("labels", [{"AB": "AB", "BA": "BA"}, {"AB": "A/B", "BA": "B/A"},
                                    {"AB": "Group 1", "BA": "Group 2"}])
def test_sequence_labels_fit_as_the_dashed_form(labels):
    reference = crossover(_long({"AB": "A-B", "BA": "B-A"}), outcome="y", subject="subject",
                          period="period", treatment="treatment", sequence="sequence")
    fit = crossover(_long(labels), outcome="y", subject="subject", period="period",
                    treatment="treatment", sequence="sequence")
    for column in ("estimate", "std_error", "df", "p_value"):
        np.testing.assert_allclose(fit.effects[column], reference.effects[column], rtol=1e-10)
    np.testing.assert_allclose(fit.carryover["estimate"], reference.carryover["estimate"],
                               rtol=1e-10)


def test_a_label_that_contradicts_the_periods_is_an_error():
    data = _long({"AB": "AB", "BA": "BA"})
    data.loc[0, "sequence"] = data.loc[1, "sequence"] = "BA"  # S00 took A then B
    with pytest.raises(Exception, match="the sequence says"):
        crossover(data, outcome="y", subject="subject", period="period",
                  treatment="treatment", sequence="sequence")


def test_missing_pchg_skips_the_responder_analysis_not_the_fit():
    data = _long({"AB": "A-B", "BA": "B-A"}).assign(PCHG=np.nan)  # old main: DataError
    fit = crossover(data, outcome="y", subject="subject", period="period",
                    treatment="treatment", sequence="sequence")
    assert fit.responders is None and len(fit.effects) == 1
