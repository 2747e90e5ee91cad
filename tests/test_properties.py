"""Invariants of the rules, probed with hypothesis."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sapa_model
from sapa_model import compute, monthly
from sapa_model.engine import run
from sapa_model.rules.events import effective_months, staircase
from sapa_model.rules.buffet import buffet
from sapa_model.rules.infrastructure import infrastructure
from sapa_model.rules.knee import weighted
from sapa_model.rules.new_model import sapa_new
from sapa_model.rules.old_model import sapa_old
from sapa_model.scenarios import scenario_from_data

populations = st.integers(min_value=0, max_value=2_000_000)
thresholds = st.integers(min_value=1, max_value=1_000_000)
rates = st.floats(min_value=0, max_value=1)


@given(populations, thresholds, rates)
def test_weighted_is_continuous_at_the_threshold_and_never_above_the_population(population, threshold, rate):
    assert weighted(threshold, threshold, rate) == threshold
    assert weighted(threshold + 1e-6, threshold, rate) == pytest.approx(threshold, abs=1e-5)
    assert weighted(population, threshold, rate) <= population + 1e-9


@given(populations, st.integers(min_value=0, max_value=100_000), thresholds, rates)
def test_weighted_is_non_decreasing(population, more, threshold, rate):
    assert weighted(population + more, threshold, rate) >= weighted(population, threshold, rate)


@pytest.fixture(scope="module")
def grid():
    return run(None, range(2019, 2023)).grid


@settings(max_examples=40, deadline=None)
@given(factor=st.floats(min_value=1.0, max_value=3.0), extra=st.integers(min_value=0, max_value=500_000))
def test_no_bill_falls_when_the_population_rises(grid, factor, extra):
    bigger = dataclasses.replace(grid, population=grid.population * factor + extra)
    share = staircase(grid.params, effective_months(grid.params), grid.months)
    price = np.full(len(grid.years), 10.0)
    monthly = np.where(grid.years[grid.year_index] >= 2020, 25.0, 0.0)  # billed from 2020, as the infrastructure is
    rules = (lambda g: infrastructure(g, monthly), lambda g: buffet(g, monthly), lambda g: sapa_new(g, price),
             lambda g: sapa_old(g, share))
    for rule in rules:
        assert (rule(bigger) >= rule(grid) - 1e-9).all()


scenario_overrides = st.fixed_dictionaries({
    "sapa.knee.threshold": st.integers(min_value=10_000, max_value=700_000),
    "sapa.knee.rate": st.floats(min_value=0.0, max_value=1.0),
    "old_model.full_price": st.floats(min_value=1.0, max_value=100.0),
})


@settings(max_examples=25, deadline=None)
@given(scenario_overrides)
def test_derived_prices_are_revenue_neutral_per_year(overrides):
    table = compute(scenario_from_data({"name": "p", "parameters": overrides}))
    totals = table[table["component"] == "sapa"].groupby(["year", "model"], observed=True)["amount_dkk"].sum().unstack()
    assert np.allclose(totals["new"], totals["old"], rtol=0, atol=1.0)


@settings(max_examples=15, deadline=None)
@given(delays=st.fixed_dictionaries({e: st.integers(min_value=0, max_value=36) for e in ("ksd", "ky", "udk")}))
def test_delays_move_the_old_model_but_never_the_new_one(delays):
    base, late = compute(), compute(scenario_from_data({"name": "d", "delays": delays}))
    new = (base["model"] == "new") & (base["component"] == "sapa")
    assert np.array_equal(base.loc[new, "amount_dkk"].to_numpy(), late.loc[new, "amount_dkk"].to_numpy())
    old = (base["model"] == "old") & (base["component"] == "sapa")
    # A delay postpones steps up the staircase: the old model never charges more than on the planned timeline.
    assert (late.loc[old, "amount_dkk"].to_numpy() <= base.loc[old, "amount_dkk"].to_numpy() + 1e-6).all()


def test_with_no_delays_old_and_new_totals_agree_every_year():
    table = compute(years=range(2019, 2041))
    sapa = table[table["component"] == "sapa"].groupby(["year", "model"], observed=True)["amount_dkk"].sum().unstack()
    assert np.allclose(sapa["new"], sapa["old"], atol=1.0)
    assert (sapa["new"] > 0).all()


@settings(max_examples=20, deadline=None)
@given(kommune=st.sampled_from([101, 751, 825, 169, 461, 147, 173]), year=st.integers(2019, 2030))
def test_monthly_invoices_sum_to_the_yearly_bill(kommune, year):
    invoices = monthly(kommune, year).groupby(["model", "component"])["amount_dkk"].sum()
    yearly = compute(years=[year]).query("kommunekode == @kommune").set_index(["model", "component"])["amount_dkk"]
    assert len(invoices) == 8
    for key, amount in invoices.items():
        assert amount == pytest.approx(yearly.loc[key], abs=1e-6)


@settings(max_examples=20, deadline=None)
@given(overrides=scenario_overrides, delay=st.integers(0, 24))
def test_a_scenario_never_changes_the_baseline(overrides, delay):
    before = {name: (p.dates, p.values, p.status) for name, p in sapa_model.baseline().items()}
    reference = compute(years=[2020])
    scenario = scenario_from_data({"name": "s", "parameters": overrides, "delays": {"ky": delay}})
    compute(scenario, years=[2020])
    assert {name: (p.dates, p.values, p.status) for name, p in sapa_model.baseline().items()} == before
    assert compute(years=[2020])["amount_dkk"].equals(reference["amount_dkk"])
