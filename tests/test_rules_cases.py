"""The analyst-readable cases in tests/cases/*.yaml, run against the model."""

import numpy as np
import pytest
import yaml

from conftest import ROOT
from sapa_model import compute, monthly, municipality
from sapa_model.engine import billing_starts
from sapa_model.data.datasets import WAVES
from sapa_model.rules import calendar
from sapa_model.rules.events import END_EVENT, effective_months, event_names
from sapa_model.rules.knee import weighted
from sapa_model.scenarios import scenario_from_data

CASES = ROOT / "tests" / "cases"


def _load(name):
    return yaml.safe_load((CASES / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", _load("knee.yaml"), ids=lambda c: c["case"])
def test_knee(case):
    assert weighted(case["population"], case["threshold"], case["rate"]) == pytest.approx(case["weighted"], abs=1e-9)


@pytest.mark.parametrize("case", _load("months_billed.yaml"), ids=lambda c: c["case"])
def test_months_billed(case):
    """The engine's own billing: the start it computes, and the months with a SAPA invoice in the year."""
    code = municipality(case["kommune"]).code
    assert str(billing_starts()[code]) == str(case["billing_start"])
    invoices = monthly(code, case["year"])
    sapa = invoices[(invoices["model"] == "new") & (invoices["component"] == "sapa")]
    assert int((sapa["amount_dkk"] > 0).sum()) == case["months"]


@pytest.mark.parametrize("case", _load("bills.yaml"), ids=lambda c: c["case"])
def test_hand_computed_bill(case):
    scenario = scenario_from_data({"name": case["case"], "parameters": case.get("parameters", {}),
                                   "delays": case.get("delays", {})})
    table = compute(scenario, years=[case["year"]])
    row = table[(table["kommune"] == municipality(case["kommune"]).name) & (table["model"] == case["model"])
                & (table["component"] == case["component"])]
    assert len(row) == 1
    assert row["amount_dkk"].iloc[0] == pytest.approx(case["expected_dkk"], abs=case.get("tolerance_dkk", 0.01))


@pytest.mark.parametrize("course_end,start", [
    ("2019-09-19", "2019-10"),  # the 1st of the month after the course ends
    ("2019-06-30", "2019-07"),  # ends in June: July, the earliest start itself
    ("2019-07-01", "2019-08"),  # ends on 1 July: the month after
    ("2019-04-01", "2019-07"),  # ends before: never before the earliest start
    ("NaT", "2019-07"),  # no course end (the pilot's course ended in 2018): the earliest start
])
def test_billing_start_rule_on_both_sides_of_the_earliest_start(course_end, start):
    got = calendar.start_month(np.array([course_end], dtype="datetime64[D]"), "2019-07-01")
    assert got[0] == np.datetime64(start, "M")


def test_billed_months_start_at_the_billing_start():
    billed = calendar.billed(np.array(["2019-10"], "datetime64[M]"), calendar.month_grid([2018, 2019]))[0]
    assert np.array_equal(billed, np.arange(24) >= 21)


def test_kmd_sags_switch_off_waits_for_the_last_of_its_own_waves_other_events():
    """UDK 12 months late in wave 6 only (planned 2020-10, so 2021-10 there): wave 6's switch-off moves from its
    planned 2021-04 to 2021-10; every other wave keeps 2021-04. Its own delay still counts: 3 months more in
    wave 1 gives 2021-07 there."""
    params = scenario_from_data({"name": "x", "delays": {"udk": {"6": 12}, "kmd_sag_off": {"1": 3}}}).params
    effective = effective_months(params)
    off = effective[event_names(params).index(END_EVENT)].astype("datetime64[M]")
    expected = {w: "2021-04" for w in WAVES} | {"6": "2021-10", "1": "2021-07"}
    assert [str(m) for m in off] == [expected[w] for w in WAVES]


def test_the_infrastructure_is_billed_on_its_own_from_its_first_priced_year():
    from sapa_model.parameters import baseline
    from sapa_model.rules.infrastructure import infrastructure_first_year

    assert infrastructure_first_year(baseline()) == 2020
    later = scenario_from_data({"name": "senere", "parameters": {
        "infrastructure.price_per_inhabitant": {"2020-01-01": 0.0, "2021-01-01": 25.0},
        "sapa.infrastructure_share": {"2020-01-01": 0.0, "2021-01-01": 3.0}}})
    assert infrastructure_first_year(later.params) == 2021
