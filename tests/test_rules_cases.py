"""The analyst-readable cases in tests/cases/*.yaml, run against the model."""

import numpy as np
import pytest
import yaml

from conftest import ROOT
from sapa_model import billing, compute, municipality
from sapa_model.knee import weighted
from sapa_model.scenario import scenario_from_data

CASES = ROOT / "tests" / "cases"


def _load(name):
    return yaml.safe_load((CASES / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", _load("knee.yaml"), ids=lambda c: c["case"])
def test_knee(case):
    assert weighted(case["population"], case["threshold"], case["rate"]) == pytest.approx(case["weighted"], abs=1e-9)


@pytest.mark.parametrize("case", _load("months_billed.yaml"), ids=lambda c: c["case"])
def test_months_billed(case):
    start = municipality(case["kommune"]).billing_start
    assert str(start) == str(case["billing_start"])
    assert billing.months_billed(start, case["year"]) == case["months"]


@pytest.mark.parametrize("case", _load("bills.yaml"), ids=lambda c: c["case"])
def test_hand_computed_bill(case):
    scenario = scenario_from_data({"name": case["case"], "parameters": case.get("parameters", {}),
                                   "delays": case.get("delays", {})})
    table = compute(scenario, years=[case["year"]])
    row = table[(table["kommune"] == municipality(case["kommune"]).name) & (table["model"] == case["model"])
                & (table["component"] == case["component"])]
    assert len(row) == 1
    assert row["amount_dkk"].iloc[0] == pytest.approx(case["expected_dkk"], abs=case.get("tolerance_dkk", 0.01))


def test_months_billed_before_the_start_is_zero():
    assert billing.months_billed("2019-10-01", 2018) == 0
    assert billing.billing_start_after_course("2019-09-19", "2019-07-01").isoformat()[:10] == "2019-10-01"
    assert billing.billing_start_after_course("2019-04-01", "2019-07-01").isoformat()[:10] == "2019-07-01"
    assert np.array_equal(billing.billed(np.array(["2019-10"], "datetime64[M]"),
                                         billing.month_grid([2019]))[0], np.arange(12) >= 9)
