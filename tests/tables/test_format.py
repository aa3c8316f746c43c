"""Formatting rules of report tables (decimals, p-values, CIs, counts) and renderers."""

from __future__ import annotations

import io
import math

import pandas as pd
import pytest

from ldn_stats.tables import catalogue
from ldn_stats.tables.format import (
    format_ci,
    format_mean_sd,
    format_n_pct,
    format_number,
    format_p,
)
from ldn_stats.tables.render import to_csv, to_docx, to_html, to_latex, to_markdown
from ldn_stats.tables.summaries import newcombe_interval, responder_summary, wilson_interval
from ldn_stats.tables.table import Table


@pytest.mark.parametrize(("x", "d", "out"), [
    (1.005, 2, "1.00"),  # binary value 1.00499999...: no decimal rounding surprises
    (-0.004, 2, "0.00"),  # never negative zero
    (-0.006, 2, "-0.01"),
    (12.0, 0, "12"),
    (float("nan"), 2, ""),
    (None, 2, ""),
    (pd.NA, 2, ""),
    (math.inf, 2, "Inf"),
])
def test_format_number(x, d, out):
    assert format_number(x, d) == out


@pytest.mark.parametrize(("p", "out"), [
    (0.0, "<0.001"), (0.000999, "<0.001"), (0.001, "0.001"), (0.0494, "0.049"),
    (0.05, "0.050"), (0.2704, "0.270"), (1.0, ">0.999"), (float("nan"), ""),
])
def test_format_p(p, out):
    assert format_p(p) == out


def test_ci_counts_and_means():
    assert format_ci(-0.95, 0.27) == "(-0.95, 0.27)"
    # issue 9: a nonzero bound never prints as 0.00 (two significant digits instead)
    assert format_ci(-0.001, 0.5, 2) == "(-0.0010, 0.50)"
    assert format_ci(0.0, 0.5, 2) == "(0.00, 0.50)"
    assert format_n_pct(22, 49) == "22 (44.9%)"
    assert format_n_pct(0, 49) == "0 (0.0%)"
    assert format_mean_sd(-1.3, 1.52, 2) == "-1.30 (1.52)"
    # issue 9: a bone-density SE of 0.0043 printed "(0.00)" on old main
    assert format_mean_sd(0.021, 0.0043, 2) == "0.02 (0.0043)"
    assert format_number(0.000123, 2, keep_nonzero=True) == "0.00012"


def test_wilson_and_newcombe_against_newcombe_1998():
    # witness: Newcombe (1998) Stat Med 17:857, Table I (Wilson, method 3) and
    # Table II example (a) (hybrid score, method 10); printed to 4 decimals
    assert wilson_interval(81, 263) == pytest.approx((0.2553, 0.3662), abs=5e-5)
    assert wilson_interval(15, 148) == pytest.approx((0.0624, 0.1605), abs=5e-5)
    assert newcombe_interval(56, 70, 48, 80) == pytest.approx((0.0524, 0.3339), abs=5e-5)
    assert newcombe_interval(9, 10, 3, 10) == pytest.approx((0.1705, 0.8090), abs=5e-5)


def test_responder_nnt_interval_only_when_rd_excludes_zero():
    d = pd.DataFrame({"ARM": ["T"] * 20 + ["P"] * 20,
                      "CRIT1FL": ["Y"] * 15 + ["N"] * 5 + ["Y"] * 4 + [None] * 16})
    r = responder_summary(d, "ARM", "P", flags=("CRIT1FL",)).iloc[0]
    assert (r["n_resp"], r["n"], r["n_resp_ref"], r["n_ref"]) == (15, 20, 4, 20)
    assert r["estimate"] == pytest.approx(0.55)
    assert r["nnt"] == pytest.approx(1 / 0.55)
    assert r["nnt_low"] == pytest.approx(1 / r["conf_high"])
    assert r["nnt_high"] == pytest.approx(1 / r["conf_low"])
    t = catalogue.responder_table(responder_summary(d, "ARM", "P", flags=("CRIT1FL",)),
                                  number="1.1", reference="P")
    assert t.display.iloc[0, 1] == "T: 15 (75.0%)"
    d2 = d.assign(CRIT1FL=["Y"] * 5 + ["N"] * 15 + ["Y"] * 4 + ["N"] * 16)
    t2 = catalogue.responder_table(responder_summary(d2, "ARM", "P", flags=("CRIT1FL",)),
                                   number="1.1", reference="P")
    assert t2.display.iloc[0, -1] == "20.0 (CI includes no effect)"


@pytest.fixture
def table():
    numeric = pd.DataFrame({"label": ["A_1", "B"], "estimate": [-0.3412345678912, 1 / 3],
                            "p_value": [0.00001, 0.5]})
    display = pd.DataFrame({"Arm": ["A_1", "B&C"], "Estimate": ["-0.34", "0.33"],
                            "p-value": ["<0.001", "0.500"]})
    return Table("1.2", "demo", "Demo <table> 50%", numeric, display,
                 ("Population: ITT (N = 2).", "Model: CHG ~ BASE + TRT01P."))


def test_csv_keeps_numbers(table):
    # full precision: the shortest repr reads back as the same float64, bit for bit
    assert to_csv(table) == ("label,estimate,p_value\nA_1,-0.3412345678912,1e-05\n"
                             "B,0.3333333333333333,0.5\n")
    back = pd.read_csv(io.StringIO(to_csv(table)))
    assert back["estimate"].tolist() == table.numeric["estimate"].tolist()


def test_markdown_html_latex_carry_number_title_and_footnotes(table):
    md = to_markdown(table)
    assert md.startswith("**Table 1.2. Demo <table> 50%**\n")
    assert "| B&C | 0.33 | 0.500 |" in md and md.rstrip().endswith("TRT01P.")
    page = to_html(table)
    assert "<caption>Table 1.2. Demo &lt;table&gt; 50%</caption>" in page
    assert "B&amp;C" in page and "Population: ITT (N = 2)." in page
    assert "http" not in page
    tex = to_latex(table)
    assert r"\caption{Demo \textless{}table\textgreater{} 50\%}" in tex
    assert r"A\_1 & -0.34 & \textless{}0.001 \\" in tex
    assert r"\label{tab:1.2}" in tex and "Population: ITT" in tex


def test_docx_is_deterministic_and_holds_the_table(table):
    import io
    import zipfile

    data = to_docx(table)
    assert data == to_docx(table)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        body = z.read("word/document.xml").decode()
        assert all(i.date_time == (2000, 1, 1, 0, 0, 0) for i in z.infolist())
    assert "Table 1.2. Demo &lt;table&gt; 50%" in body and "&lt;0.001" in body
    assert "B&amp;C" in body


def test_lsmeans_table_one_row_per_visit_and_contrast():
    ls = pd.DataFrame({"visit": ["W1", "W1", "W2", "W2"], "group": ["P", "T"] * 2,
                       "estimate": [-0.5, -0.8, -0.9, -1.4], "std_error": [0.2] * 4,
                       "df": [90.0] * 4, "conf_low": [0.0] * 4, "conf_high": [0.0] * 4})
    di = pd.DataFrame({"visit": ["W1", "W2"], "contrast": ["T - P"] * 2,
                       "estimate": [-0.3, -0.5], "std_error": [0.28] * 2, "df": [90.0] * 2,
                       "statistic": [-1.07, -1.79], "p_value": [0.287, 0.0768],
                       "conf_low": [-0.86, -1.06], "conf_high": [0.26, 0.06]})
    t = catalogue.lsmeans_table(ls, di, number="1.3")
    assert t.display.columns.tolist() == ["Visit", "P LS-mean (SE)", "T LS-mean (SE)",
                                          "Contrast", "Difference", "95% CI", "p-value"]
    assert t.display.iloc[1].tolist() == ["W2", "-0.90 (0.20)", "-1.40 (0.20)", "T - P",
                                          "-0.50", "(-1.06, 0.06)", "0.077"]
    assert t.numeric["term"].tolist() == ["lsmean"] * 4 + ["difference"] * 2
