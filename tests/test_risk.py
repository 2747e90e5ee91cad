"""The whole bill's risk: delays drawn per wave, both models, against hand-checked cases."""

import math

import numpy as np
import pytest

from sapa_model import ScenarioError, compute
from sapa_model.data import datasets
from sapa_model.engine import _spread, risk
from sapa_model.scenarios import scenario_from_data
from sapa_model.scenarios.montecarlo import correlated_uniforms, draw_delays, triangular_quantile

EVENTS = ("ksd", "ky", "udk", "kmd_sag_off")
YEARS = range(2019, 2024)


@pytest.fixture  # computed per test (0,2 s), so a mutation test sees every test that reads it
def baseline_risk():
    return risk(draws=2_000, years=YEARS)


def test_with_no_delays_every_draw_is_the_engines_bill():
    """No drawn delay, but the scenario's own: KY 12 months late in wave 6 only, UDK 3 months late everywhere."""
    still = scenario_from_data({"name": "ingen forsinkelse", "parameters": {
        f"old_model.events.{e}.delay_{k}": 0 for e in EVENTS for k in ("low", "mode", "high")},
        "delays": {"ky": {"6": 12}, "udk": 3}})
    table = risk(still, draws=50, years=YEARS)
    for column in ("mean", "p05", "p50", "p95"):
        assert np.allclose(table[column], table["timeline"], rtol=0, atol=1e-6)
    engine = compute(still, YEARS)
    for component in ("sapa", "kmd_sag", "infrastructure", "buffet"):
        for model in ("old", "new"):
            got = table.query("model == @model and component == @component").set_index(["kommunekode", "year"])
            want = engine.query("model == @model and component == @component").set_index(["kommunekode", "year"])
            assert np.allclose(got["mean"], want["amount_dkk"].reindex(got.index), rtol=0, atol=1e-6)


def test_the_new_models_sapa_line_has_no_spread_but_kmd_sag_does(baseline_risk):
    new_sapa = baseline_risk.query("model == 'new' and component == 'sapa'")
    assert (new_sapa["p05"] == new_sapa["p95"]).all()
    kmd_2021 = baseline_risk.query("model == 'new' and component == 'kmd_sag' and year == 2021")
    assert (kmd_2021["p95"] > kmd_2021["p05"]).all()


def test_delays_never_raise_the_old_sapa_bill_above_the_planned_one(baseline_risk):
    old = baseline_risk.query("model == 'old' and component == 'sapa'")
    assert (old["p95"] <= old["timeline"] + 1e-6).all()
    assert (old["mean"] < old["timeline"] - 1).any()


def test_the_old_models_sapa_and_kmd_sag_move_against_each_other(baseline_risk):
    """København 2021: under the old model the whole bill's spread is smaller than its SAPA line's and KMD Sag's
    together, because a delay lowers the one and prolongs the other; the new model keeps only KMD Sag's."""
    rows = baseline_risk.query("kommune == 'København' and year == 2021").set_index(["model", "component"])
    spread = rows["p95"] - rows["p05"]
    assert spread[("old", "total")] < spread[("old", "sapa")] + spread[("old", "kmd_sag")]
    assert spread[("new", "total")] == pytest.approx(spread[("new", "kmd_sag")])
    assert spread[("new", "total")] > spread[("old", "total")]  # the whole bill is less predictable here


def test_a_delay_for_one_wave_moves_only_that_waves_municipalities():
    late = compute(scenario_from_data({"name": "bølge 6", "delays": {"ky": {"6": 6}}}), YEARS)
    base = compute(None, YEARS)
    moved = (late["amount_dkk"] - base["amount_dkk"]).abs().groupby(late["kommunekode"]).sum()
    waves = datasets.municipalities()["wave"]
    assert set(waves[moved[moved > 0].index]) == {"6"} and (moved[waves[moved.index] == "6"] > 0).all()


def test_triangular_quantiles_by_hand():
    # low 0, mode 6, high 24: the mode splits the draws at 6/24 = 25 %
    assert triangular_quantile(np.array([0.1]), 0, 6, 24)[0] == pytest.approx(np.sqrt(0.1 * 24 * 6))  # 3,79
    assert triangular_quantile(np.array([0.5]), 0, 6, 24)[0] == pytest.approx(24 - np.sqrt(0.5 * 24 * 18))  # 9,30
    assert triangular_quantile(np.array([0.25, 0.0, 1.0]), 0, 6, 24) == pytest.approx([6, 0, 24])
    assert (triangular_quantile(np.array([0.3, 0.9]), 4, 4, 4) == 4).all()
    # low 2, mode 6, high 14: the mode splits at 4/12 = 1/3
    got = triangular_quantile(np.array([0.25, 1 / 3, 0.5, 0.75]), 2, 6, 14)
    assert got == pytest.approx([2 + np.sqrt(0.25 * 12 * 4), 6, 14 - np.sqrt(0.5 * 12 * 8), 14 - np.sqrt(0.25 * 12 * 8)])


def test_correlation_one_moves_every_wave_together_and_zero_moves_each_alone():
    together = correlated_uniforms(np.random.default_rng(1), 4_000, 2, 1.0)
    assert np.allclose(together, together[:, :, :1])
    alone = correlated_uniforms(np.random.default_rng(1), 4_000, 2, 0.0)
    assert abs(np.corrcoef(alone[:, 0, 0], alone[:, 0, 1])[0, 1]) < 0.05
    assert abs(alone.mean() - 0.5) < 0.01  # still uniform
    half = correlated_uniforms(np.random.default_rng(1), 4_000, 1, 0.5)
    assert 0.35 < np.corrcoef(half[:, 0, 0], half[:, 0, 1])[0, 1] < 0.65


@pytest.mark.parametrize("rho", [0.2, 0.8])
def test_the_waves_rank_correlation_is_the_copulas_and_each_wave_stays_uniform(rho):
    """A Gaussian copula with correlation rho gives uniforms correlated 6/pi x asin(rho/2) (0,191 at 0,2;
    0,786 at 0,8); mixing with rho instead of sqrt(rho) would give 0,046 and 0,745, and uniforms that are
    not uniform (variance 0,075, not 1/12). With 20 000 draws the pairs average within 0,005 of it (any seed)."""
    u = correlated_uniforms(np.random.default_rng(11), 20_000, 1, rho)[:, 0, :]
    pairs = np.corrcoef(u.T)[np.triu_indices(u.shape[1], 1)]
    assert pairs.mean() == pytest.approx(6 / math.pi * math.asin(rho / 2), abs=0.015)
    assert u.mean(axis=0) == pytest.approx(np.full(u.shape[1], 0.5), abs=0.01)
    assert u.var(axis=0) == pytest.approx(np.full(u.shape[1], 1 / 12), abs=0.003)


def test_the_spread_is_the_mean_and_the_5_50_and_95_percent_quantiles():
    values = np.arange(101.0)[:, None] * [1, -2]  # 0..100 and 0..-200 over 101 draws
    assert _spread(values).tolist() == [[50, -100], [5, -190], [50, -100], [95, -10]]


def test_the_risk_bands_are_the_quantiles_of_the_bill_under_each_drawn_delay():
    """Only KY's delay uncertain (0-12 months, the same in every wave): each draw's bill is the engine's bill
    with that delay, and mean, p05, p50 and p95 are taken over those bills, per municipality and year."""
    fixed = {f"old_model.events.{e}.delay_{k}": 0 for e in ("ksd", "udk", "kmd_sag_off") for k in ("low", "mode", "high")}
    parameters = {**fixed, "old_model.events.ky.delay_mode": 4, "old_model.events.ky.delay_high": 12,
                  "montecarlo.wave_correlation": 1}
    scenario = scenario_from_data({"name": "KY usikker", "parameters": parameters})
    draws, seed, years = 400, 5, [2020, 2021]
    table = risk(scenario, draws=draws, seed=seed, years=years)
    ky = draw_delays(scenario.params, draws, seed)[:, 1, :]
    assert (ky == ky[:, :1]).all() and len(np.unique(ky)) > 8
    keys = ["model", "component", "kommunekode", "year"]
    bills = {int(d): compute(scenario_from_data({"name": "KY", "parameters": parameters, "delays": {"ky": int(d)}}),
                             years).set_index(keys)["amount_dkk"].sort_index() for d in np.unique(ky)}
    for line in (("old", "sapa"), ("old", "kmd_sag")):
        got = table.set_index(keys).sort_index().loc[line]
        values = {d: bill.loc[line].reindex(got.index).to_numpy() for d, bill in bills.items()}
        per_draw = np.stack([values[int(d)] for d in ky[:, 0]])
        assert np.allclose(got["mean"], per_draw.mean(axis=0), rtol=0, atol=1e-6)
        for column, q in (("p05", 0.05), ("p50", 0.5), ("p95", 0.95)):
            assert np.allclose(got[column], np.quantile(per_draw, q, axis=0), rtol=0, atol=1e-6), column
        assert (got["p95"] > got["p05"]).any()


def test_draws_are_reproducible_for_a_seed_and_add_the_scenarios_own_delays():
    late = scenario_from_data({"name": "KY", "delays": {"ky": 12, "udk": {"3": 2}}})
    first, again = draw_delays(late.params, 500, seed=7), draw_delays(late.params, 500, seed=7)
    assert np.array_equal(first, again) and not np.array_equal(first, draw_delays(late.params, 500, seed=8))
    assert first.dtype.kind == "i" and first.shape == (500, 4, 7)  # whole months
    ky, udk = 1, 2  # the events in order of their planned dates: ksd, ky, udk, kmd_sag_off
    assert first[:, ky, :].min() >= 12 and first[:, udk, 3].min() >= 2 and first[:, udk, 0].min() == 0


@pytest.mark.parametrize("scenario,message", [
    ({"parameters": {"old_model.events.ky.delay_low": -1}}, "is out of range"),
    ({"parameters": {"old_model.events.ky.delay_low": 30}}, "delay_low <= delay_mode <= delay_high"),
    ({"parameters": {"montecarlo.wave_correlation": 1.5}}, "from 0 to 1"),
    ({"delays": {"ky": {"7": 3}}}, "unknown wave '7'; the waves are pilot, 1, 2, 3, 4, 5, 6"),
    ({"delays": {"kyy": 3}}, "unknown event 'kyy'"),
])
def test_the_monte_carlos_inputs_are_validated_when_the_scenario_loads(scenario, message):
    with pytest.raises(ScenarioError, match=message):
        scenario_from_data({"name": "x", **scenario})


def test_the_national_answer_and_the_inputs_are_attached(baseline_risk):
    period = baseline_risk.attrs["national_period"].set_index(["model", "component"])
    difference = period.loc[("difference", "total")]
    assert abs(difference["timeline"]) < 1  # against the plan the total does not rise, by construction
    assert difference["p05"] <= difference["mean"] <= difference["p95"] and difference["mean"] > 1e6
    assert "montecarlo.wave_correlation" in baseline_risk.attrs["unsourced"]
    assert "old_model.events.ky.delay_high" in baseline_risk.attrs["unsourced"]


def test_the_national_figures_add_up_the_municipalities_and_the_years():
    """Per year: the national mean and timeline are the sums of the 98 municipalities'; over the period: the
    sums of the years'. The quantiles of a sum are no sum of quantiles, but they bracket the mean."""
    table = risk(draws=300, years=[2020, 2021])
    national = table.attrs["national"].set_index(["year", "model", "component"])
    summed = table.groupby(["year", "model", "component"])[["timeline", "mean"]].sum()
    assert len(national) == len(summed) == 2 * 11
    assert np.allclose(national.loc[summed.index, ["timeline", "mean"]], summed, rtol=1e-12, atol=1e-6)
    period = table.attrs["national_period"].set_index(["model", "component"])
    by_line = national.groupby(["model", "component"])[["timeline", "mean"]].sum()
    assert np.allclose(period.loc[by_line.index, ["timeline", "mean"]], by_line, rtol=1e-12, atol=1e-6)
    for frame in (national, period):
        assert (frame["p05"] <= frame["mean"] + 1e-6).all() and (frame["mean"] <= frame["p95"] + 1e-6).all()
    assert list(table.index) == list(range(len(table)))
    assert set(table["kommune"]) == set(datasets.municipalities()["kommune"])


def test_draws_and_seed_default_to_the_scenarios():
    scenario = scenario_from_data({"name": "få", "parameters": {"montecarlo.draws": 20, "montecarlo.seed": 3}})
    table = risk(scenario, years=[2021])
    assert (table.attrs["draws"], table.attrs["seed"]) == (20, 3) and table.attrs["scenario"] == "få"
    assert table[["mean", "p05", "p95"]].equals(risk(scenario, draws=20, seed=3, years=[2021])[["mean", "p05", "p95"]])
    assert not table[["mean"]].equals(risk(scenario, draws=20, seed=4, years=[2021])[["mean"]])
