"""Budget framing: the budget year, price levels by hand, moms, and tables that add up as shown."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import ROOT
from sapa_model import compute, load_scenario
from sapa_model.errors import SapaError
from sapa_model.scenarios import scenario_from_data
from sapa_model.analysis import budget, lines as budget_lines_of
from sapa_model.components import SHARED
from sapa_model.views import tables, terms
from sapa_model.views.labels import LINE

PL = load_scenario(ROOT / "scenarios/pl_index_template.yaml")


def test_the_default_budget_year_is_the_year_after_the_build_date(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764288000")  # 28 November 2025
    assert budget.default_budget_year() == 2026
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225599")  # 31 December 2025, 23:59:59 UTC
    assert budget.default_budget_year() == 2026
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 1 January 2026
    assert budget.default_budget_year() == 2027


def test_the_horizon_reaches_the_last_overslagsaar_past_the_default():
    params = load_scenario(None).params
    assert budget.horizon(2027, params) == range(2019, 2031)
    assert budget.horizon(2032, params) == range(2019, 2036)
    assert budget.budget_years(2032) == [2032, 2033, 2034, 2035]
    with pytest.raises(SapaError, match="outside 2019-2037"):
        budget.check_budget_year(2038, params)
    with pytest.raises(SapaError, match="outside 2019-2037"):
        budget.check_budget_year(2018, params)


def test_a_price_level_by_hand():
    """2021 amounts in 2023 prices: x (1 + 4,5 %) x (1 + 3,5 %), the template's growth for 2022 and 2023."""
    table = compute(PL, [2021, 2023])
    shown = budget.express(table, budget.Basis(1, 2023), PL.params)
    ratio = shown["amount_dkk"].to_numpy() / np.where(table["amount_dkk"] > 0, table["amount_dkk"], np.nan)
    in_2021 = (table["year"] == 2021).to_numpy() & (table["amount_dkk"] > 0).to_numpy()
    assert np.allclose(ratio[in_2021], 1.045 * 1.035)
    assert np.allclose(shown.loc[table["year"] == 2023, "amount_dkk"], table.loc[table["year"] == 2023, "amount_dkk"])
    assert "prices.index" in shown.attrs["unsourced"] and (shown["illustrative"].str.contains("prices.index")).all()


def test_price_levels_by_hand():
    """1 up to the index's first year (2014); then x (1 + growth) each 1 January; 2026's growth is carried on."""
    from sapa_model.rules.prices import index_levels

    levels = index_levels(PL.params, [2016, 2012, 2013, 2014, 2027])
    assert list(levels) == [2012, 2013, 2014, 2016, 2027]
    assert levels[2012] == levels[2013] == 1.0 and levels[2014] == pytest.approx(1.015)
    assert levels[2016] == pytest.approx(1.015 * 1.012 * 1.013)
    growth = [1.5, 1.2, 1.3, 1.6, 1.9, 1.8, 1.7, 2.0, 4.5, 3.5, 2.5, 2.2, 2.0, 2.0]  # 2014-2027
    assert levels[2027] == pytest.approx(np.prod([1 + g / 100 for g in growth]))


def test_kmd_sag_follows_kmds_own_indexation_when_an_index_is_given():
    """Læsø, KMD Sag 2020: 20 kr. x 1 839 (2013) x (1 - 10 % KSD - 10 % KY from April) ... indexed from 2013
    prices by the growth of 2014-2020: 1,5 1,2 1,3 1,6 1,9 1,8 1,7 %."""
    plain = compute(None, [2020])
    indexed = compute(PL, [2020])
    pick = lambda t: t.query("kommune == 'Læsø' and component == 'kmd_sag' and model == 'new'")["amount_dkk"].iloc[0]
    growth = np.prod([1.015, 1.012, 1.013, 1.016, 1.019, 1.018, 1.017])
    assert pick(indexed) == pytest.approx(pick(plain) * growth)


def test_moms_included_adds_the_rate():
    moms = scenario_from_data({"name": "m", "parameters": {"vat.basis": "included"}})
    table = compute(moms, [2022])
    shown = budget.express(table, budget.KRONER, moms.params)
    assert np.allclose(shown["amount_dkk"], table["amount_dkk"] * 1.25)
    assert terms.caption(budget.KRONER, moms.params) == "kr., løbende priser, inkl. moms"


@pytest.mark.parametrize("unit", [1, 1000])
def test_every_budget_table_adds_up_for_all_98_municipalities_and_years(unit):
    table = compute(None, range(2019, 2036))
    for code in table["kommunekode"].unique():
        lines = tables.lines_table(budget_lines_of.budget_lines(table, code), unit)
        parts = lines[["SAPA, ny model", *[LINE[c] for c in SHARED]]].sum(axis=1)
        assert (lines["I alt, ny model"] == parts).all()
        assert (lines[LINE["difference"]] == lines["I alt, ny model"] - lines["I alt, gammel model"]).all()
        assert (lines == lines.round()).all().all()  # whole units


@given(st.lists(st.floats(min_value=0, max_value=1e9), min_size=5, max_size=5))
def test_rounding_is_half_away_from_zero_and_totals_are_sums_of_what_is_shown(amounts):
    wide = pd.DataFrame([amounts], columns=pd.MultiIndex.from_tuples(
        [("new", "sapa"), ("old", "sapa"), ("new", "infrastructure"), ("new", "buffet"), ("new", "kmd_sag")]))
    lines = tables.lines_table(wide, 1000).iloc[0]
    assert lines["SAPA, ny model"] == np.floor(amounts[0] / 1000 + 0.5)
    assert lines["I alt, gammel model"] == lines["SAPA, gammel model"] + sum(lines[[LINE[c] for c in SHARED]])


@pytest.mark.parametrize("amount,unit,shown", [
    (0.5, 1, 1), (1.5, 1, 2), (2.5, 1, 3), (-2.5, 1, -3), (2.4999, 1, 2),  # halves away from zero, never to even
    (2_500, 1000, 3), (3_500, 1000, 4), (-2_500, 1000, -3), (1_234_567.5, 1000, 1_235), (2_499.99, 1000, 2),
])
def test_an_amount_exactly_half_way_is_rounded_away_from_zero(amount, unit, shown):
    assert budget.round_to(np.array([amount]), unit)[0] == shown
    table = pd.DataFrame({"beløb": [amount]}, index=["x"])
    assert budget.round_to(table, unit).loc["x", "beløb"] == shown


def test_a_price_level_needs_an_index():
    with pytest.raises(SapaError, match="needs a price index"):
        budget.Basis(1, 2027).check(load_scenario(None).params)
