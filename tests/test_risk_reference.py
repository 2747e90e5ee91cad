"""risk() counts draws that are alike instead of writing every draw out: it must give what the draw-by-draw
reading gives (kept below as `reference_risk`, the straightforward implementation) to the øre, for every
scenario, and the same table for the same seed."""

import numpy as np
import pandas as pd
import pytest

from sapa_model import engine
from sapa_model.data import datasets
from sapa_model.data.datasets import WAVES
from sapa_model.engine import MODELS, RISK_COLUMNS, _spread, _timeline, risk, run
from sapa_model.rules.events import effective_months, staircase
from sapa_model.rules.kmd_sag import per_krone, starting_payment
from sapa_model.rules.old_model import full_price_bill
from sapa_model.scenarios import scenario_from_data
from sapa_model.scenarios.montecarlo import draw_delays

from test_provenance import _calibrated_with_own_kmd_sag


def reference_risk(scenario=None, draws=None, seed=None, years=None):
    """Every draw written out: (draws, municipalities) per line and year, then the mean and quantiles."""
    bills = run(scenario, years)
    grid, params = bills.grid, bills.grid.params
    draws = int(params.value("montecarlo.draws")) if draws is None else int(draws)
    seed = int(params.value("montecarlo.seed")) if seed is None else int(seed)
    with params.reading() as inputs:
        delays = draw_delays(params, draws, seed)
    effective = effective_months(params, delays)
    full, start = full_price_bill(grid), starting_payment(grid)
    on_plan = _timeline(bills)
    fixed = {c: on_plan[("new", c)] for c in ("infrastructure", "buffet")}
    new_sapa = on_plan[("new", "sapa")]
    by_wave = [np.flatnonzero(grid.wave_index == w) for w in range(len(WAVES))]
    blocks, national, period = [], [], {}
    for y, year in enumerate(grid.years):
        months = slice(12 * y, 12 * (y + 1))
        share = staircase(params, effective, grid.months[months])
        old_sapa = np.zeros((draws, len(grid.codes)))
        for w, members in enumerate(by_wave):
            old_sapa[:, members] = share[:, w, :] @ full[members, months].T
        kmd = per_krone(grid, effective, grid.months[months]).sum(axis=-1)[:, grid.wave_index] * start
        shared = fixed["infrastructure"][:, y] + fixed["buffet"][:, y] + kmd
        lines = {
            ("old", "sapa"): old_sapa,
            ("new", "sapa"): np.broadcast_to(new_sapa[:, y], old_sapa.shape),
            ("old", "kmd_sag"): kmd,
            ("new", "kmd_sag"): kmd,
            ("old", "total"): old_sapa + shared,
            ("new", "total"): new_sapa[:, y] + shared,
            ("difference", "total"): new_sapa[:, y] - old_sapa,
        }
        for model in MODELS:
            for c in ("infrastructure", "buffet"):
                lines[(model, c)] = np.broadcast_to(fixed[c][:, y], old_sapa.shape)
        timeline = {key: line[:, y] for key, line in on_plan.items()}
        for (model, component), values in lines.items():
            blocks.append(pd.DataFrame({
                "kommunekode": grid.codes, "year": int(year), "model": model, "component": component,
                "timeline": timeline[(model, component)],
                **dict(zip(("mean", "p05", "p50", "p95"), _spread(values))),
            }))
            summed = values.sum(axis=1)
            national.append({
                "year": int(year), "model": model, "component": component,
                "timeline": timeline[(model, component)].sum(),
                **dict(zip(("mean", "p05", "p50", "p95"), _spread(summed))),
            })
            total, planned = period.get((model, component), (0.0, 0.0))
            period[(model, component)] = (total + summed, planned + timeline[(model, component)].sum())
    table = pd.concat(blocks, ignore_index=True)
    table["kommune"] = datasets.municipalities()["kommune"].reindex(table["kommunekode"]).to_numpy()
    table = table[RISK_COLUMNS]
    whole = [{"model": m, "component": c, "timeline": planned,
              **dict(zip(("mean", "p05", "p50", "p95"), _spread(np.asarray(summed))))}
             for (m, c), (summed, planned) in period.items()]
    table.attrs.update(national=pd.DataFrame(national), national_period=pd.DataFrame(whole), draws=draws,
                       seed=seed, scenario=bills.scenario.name,
                       unsourced=sorted(n for n, p in inputs.items() if p.status not in ("sourced", "seed")))
    return table


def _assert_identical(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, want, check_exact=True)


SCENARIOS = {
    "baseline": lambda: None,
    "ky_delayed_12m": lambda: "scenarios/ky_delayed_12m.yaml",
    "pl_index_template": lambda: "scenarios/pl_index_template.yaml",
    "per_wave_delays": lambda: scenario_from_data({"name": "bølger", "delays": {"udk": {"4": 6, "pilot": 1}},
                                                   "parameters": {"montecarlo.wave_correlation": 0.3}}),
    "calibrated_own_kmd_sag": _calibrated_with_own_kmd_sag,
}


@pytest.mark.parametrize(("draws", "seed", "years"), [(3_000, None, None), (1, 7, [2021]), (500, 11, range(2019, 2035))],
                         ids=["3000-draws", "one-draw", "500-draws-long"])
@pytest.mark.parametrize("name", SCENARIOS)
def test_risk_is_the_draw_by_draw_reading_to_the_bit(name, draws, seed, years):
    scenario = SCENARIOS[name]()
    got, want = risk(scenario, draws, seed, years), reference_risk(scenario, draws, seed, years)
    _assert_identical(got, want)
    for part in ("national", "national_period"):
        _assert_identical(got.attrs[part], want.attrs[part])
    assert {k: v for k, v in got.attrs.items() if k not in ("national", "national_period")} == {
        k: v for k, v in want.attrs.items() if k not in ("national", "national_period")}


def test_the_same_seed_gives_the_same_table_and_another_seed_another():
    one, again, other = risk(draws=400, seed=3), risk(draws=400, seed=3), risk(draws=400, seed=4)
    pd.testing.assert_frame_equal(one, again, check_exact=True)
    pd.testing.assert_frame_equal(one.attrs["national"], again.attrs["national"], check_exact=True)
    assert not np.allclose(one["p95"], other["p95"])


def test_counted_quantiles_are_numpys_linear_quantiles():
    """_quantiles_counted() on values repeated by counts is np.quantile over the draws written out, to the bit."""
    rng = np.random.default_rng(5)
    cases = [(rng.normal(1e6, 3e5, (u, m)).round(2), rng.integers(1, 300, u)) for u, m in ((1, 3), (2, 1), (40, 6))]
    cases.append((np.array([[761733.8000000003], [763340.8333333334]]), np.array([2850, 150])))  # 95 % between them
    for values, counts in cases:
        written = np.repeat(values, counts, axis=0)
        assert np.allclose(engine._quantiles_counted(values, counts), _spread(written)[1:], rtol=0, atol=0)
        assert (engine._quantiles_counted(values, counts) == _spread(written)[1:]).all()
