"""outlook(): the budget years' own uncertainty, from the measured population error, unknown prices and P/L."""

import numpy as np
import pytest

from conftest import ROOT
from sapa_model import SapaError, compute, outlook
from sapa_model.analysis.outlook import population_errors
from sapa_model.data import datasets
from sapa_model.data import population as people
from sapa_model.scenarios import combine, load_scenario, scenario_from_data

KNOWN = {"reference": "prisbrev", "sapa": {y: 14.1 for y in range(2027, 2031)},
         "infrastructure": {y: 27.0 for y in range(2027, 2031)}, "buffet": {y: 5.2 for y in range(2027, 2031)}}


@pytest.fixture(scope="module")
def baseline():
    return outlook(budget_year=2027, draws=2_000, seed=7)


def test_the_budgeted_figure_is_compute_and_the_total_is_the_sum(baseline):
    table = compute(None, range(2027, 2031))
    new = table[table["model"] == "new"].set_index(["kommunekode", "year", "component"])["amount_dkk"]
    lines = baseline[baseline["component"] != "total"].set_index(["kommunekode", "year", "component"])["central"]
    assert np.allclose(lines, new.reindex(lines.index))
    totals = baseline[baseline["component"] == "total"].set_index(["kommunekode", "year"])
    assert np.allclose(totals["central"], lines.groupby(level=["kommunekode", "year"]).sum().reindex(totals.index))
    assert sorted(baseline["year"].unique()) == [2027, 2028, 2029, 2030]
    assert (baseline["p05"] <= baseline["p50"]).all() and (baseline["p50"] <= baseline["p95"]).all()


def test_the_band_widens_with_the_years_and_is_reproducible(baseline):
    total = baseline[(baseline["component"] == "total") & (baseline["kommune"] == "Aarhus")].set_index("year")
    width = (total["p95"] - total["p05"]) / total["central"]
    assert width.is_monotonic_increasing
    again = outlook(budget_year=2027, draws=2_000, seed=7)
    assert again[["mean", "p05", "p95"]].equals(baseline[["mean", "p05", "p95"]])
    assert not outlook(budget_year=2027, draws=2_000, seed=8)["p95"].equals(baseline["p95"])


def test_population_errors_are_the_backtest_errors_of_a_municipality_of_the_same_size():
    params = load_scenario(None).params
    rng = np.random.default_rng(1)
    drawn = population_errors(params, np.array([1, 2]), 300, rng)
    errors = people.backtest(people.best_method(5), 5)
    size = datasets.observed_population().iloc[:, -1].rank(method="first").to_numpy()
    tercile = np.minimum((3 * (size - 1) // len(size)).astype(int), 2)
    aarhus = list(datasets.observed_population().index).index(751)
    same = np.flatnonzero(tercile == tercile[aarhus])
    possible = set(np.round(errors[same][:, :, 0].ravel(), 12))
    assert set(np.round(drawn[:, aarhus, 0], 12)) <= possible
    assert not np.isnan(drawn).any()


def test_with_every_price_known_and_no_price_index_only_the_population_moves_the_bill():
    known = scenario_from_data({"name": "kendte priser", "prices": KNOWN})
    band = outlook(known, budget_year=2027, draws=2_000, seed=7).set_index(["kommune", "year", "component"]).sort_index()
    laesoe = band.loc[("Læsø", 2027)]
    # Læsø is far below both knees: every payment that follows the population moves by the same factor
    ratios = [laesoe.loc[c, "p95"] / laesoe.loc[c, "central"] for c in ("sapa", "infrastructure", "buffet")]
    assert ratios == pytest.approx([ratios[0]] * 3)
    measured = np.nanquantile(people.backtest(people.best_method(5), 5)[:, :, 0], 0.99)
    assert ratios[0] - 1 <= measured  # no price uncertainty on top of the population's
    unknown = outlook(budget_year=2027, draws=2_000, seed=7).set_index(["kommune", "year", "component"]).sort_index()
    assert unknown.loc[("Læsø", 2027, "infrastructure"), "p95"] / unknown.loc[("Læsø", 2027, "infrastructure"), "central"] > ratios[1]
    assert laesoe.loc["kmd_sag", "p95"] == laesoe.loc["kmd_sag", "p05"] == 0


def test_a_price_index_spreads_what_is_regulated_with_it():
    index = load_scenario(ROOT / "scenarios/pl_index_template.yaml")
    paid = {"kommune": "Ærø", "year": 2026, "component": "kmd_sag", "amount_dkk": 6_000, "reference": "K"}
    known = scenario_from_data({"name": "kendt", "prices": KNOWN, "calibration": [paid]})
    with_index = outlook(combine(index, known), budget_year=2027, draws=2_000, seed=7).set_index(["kommune", "year", "component"]).sort_index()
    kmd = with_index.loc[("Ærø", 2028, "kmd_sag")]
    assert kmd["p05"] < kmd["central"] < kmd["p95"]  # carried with P/L: moves with KL's skøn
    without = outlook(known, budget_year=2027, draws=2_000, seed=7).set_index(["kommune", "year", "component"]).sort_index()
    assert without.loc[("Ærø", 2028, "kmd_sag"), "p05"] == without.loc[("Ærø", 2028, "kmd_sag"), "p95"] == 6_000
    sources = {s["source"]: s for s in with_index.attrs["sources"]}
    assert sources["pl"]["applies"] and not {s["source"]: s for s in without.attrs["sources"]}["pl"]["applies"]


def test_the_sources_name_the_measured_error_and_the_statuses(baseline):
    sources = {s["source"]: s for s in baseline.attrs["sources"]}
    assert sources["population"]["method"] == people.best_method(5)
    assert sources["population"]["mean_abs_error"][1] == pytest.approx(people.mean_error(people.best_method(5), 5)[0])
    assert sources["price"]["status"] == "assumption" and sources["price"]["parameters"] == ["outlook.price_sd"]


@pytest.mark.parametrize("draws", [0, -1, 10**6, "abc", 2.5, float("nan"), True])
def test_draws_out_of_range_are_answered_with_the_range(draws):
    with pytest.raises(SapaError, match="draws must be a whole number from 10 to 100000"):
        outlook(budget_year=2027, draws=draws)


def test_a_budget_year_out_of_range_names_the_range():
    with pytest.raises(SapaError, match="budget year 2045 is outside 2019-2037"):
        outlook(budget_year=2045)
