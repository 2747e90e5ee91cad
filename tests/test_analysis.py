"""The figures the notebooks show: each analysis function against hand reasoning and compute()."""

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT

from sapa_model import compute
from sapa_model.analysis import compare, knee
from sapa_model.analysis import lines as budget_lines_of
from sapa_model.components import SHARED
from sapa_model.views import tables
from sapa_model.views.labels import LINE

BIG4 = {"København", "Aarhus", "Aalborg", "Odense"}


@pytest.fixture(scope="module")
def table():
    return compute()


def test_national_sums_by_hand_from_the_population_file(table):
    """National infrastructure and buffet, worked out from data/population.csv alone: 25 kr. per
    knee-weighted inhabitant (150 000 / 50 %) in 2022; 4,80 kr. per inhabitant in 2021."""
    people = pd.read_csv(ROOT / "data" / "population.csv").pivot(index="kommunekode", columns="year",
                                                                 values="population")
    weighted_2022 = sum(min(p, 150_000) + 0.5 * max(p - 150_000, 0) for p in people[2022])
    national = compare.national(table).set_index(["year", "model", "component"])["amount_dkk"]
    for model in ("old", "new"):
        assert national[(2022, model, "infrastructure")] == pytest.approx(25 * weighted_2022, abs=0.01)
        assert national[(2021, model, "buffet")] == pytest.approx(4.80 * people[2021].sum(), abs=0.01)
    assert len(national) == 12 * 2 * 4


def test_the_total_does_not_rise(table):
    check = compare.total_check(table)
    assert list(check.index) == list(range(2019, 2031))
    assert check["difference"].abs().max() < 1


def test_municipal_difference_is_a_redistribution(table):
    difference = compare.municipal_difference(table)
    assert len(difference) == 98 and difference["difference"].sum() == pytest.approx(0, abs=1)
    assert difference["difference_per_inhabitant"].is_monotonic_decreasing
    assert set(difference.tail(4)["kommune"]) == BIG4  # the knee makes the four largest pay less
    aarhus = difference.set_index("kommune").loc["Aarhus"]
    rows = table[(table["kommune"] == "Aarhus") & (table["component"] == "sapa")]
    assert aarhus["new"] - aarhus["old"] == pytest.approx(
        rows[rows["model"] == "new"]["amount_dkk"].sum() - rows[rows["model"] == "old"]["amount_dkk"].sum())
    regions = compare.regional_difference(difference, table)
    assert regions["difference"].sum() == pytest.approx(0, abs=1)
    assert (regions["pays_more"] + regions["pays_less"]).sum() == 98


def test_knee_effect_saves_the_big_four_and_costs_the_rest_the_same(table):
    effect = knee.knee_effect(None, [2022])
    assert set(effect.loc[effect["above_threshold"], "kommune"]) == BIG4
    assert (effect.loc[effect["above_threshold"], "effect"] < 0).all()
    assert (effect.loc[~effect["above_threshold"], "effect"] > 0).all()
    assert effect["effect"].sum() == pytest.approx(0, abs=1)


def test_infrastructure_knee_saving_by_hand(table):
    saving = knee.infrastructure_knee_effect(table, 2022).set_index("kommune")
    population = saving.loc["København", "population"]
    assert saving.loc["København", "saving"] == pytest.approx(25 * 0.5 * (population - 150_000))
    assert saving.loc["Læsø", "saving"] == pytest.approx(0, abs=1e-6)


def test_effective_price_curve_by_hand(table):
    curve, points = knee.effective_price_curve(table, 2022, points_on_curve=700)
    price = table.attrs["sapa_price"][2022]
    sapa = curve[curve["component"] == "sapa"].set_index("population")["price"]
    assert sapa[sapa.index <= 150_000].round(9).eq(round(price, 9)).all()
    at_300k = np.interp(300_000, sapa.index, sapa.to_numpy())
    assert at_300k == pytest.approx(price * (150_000 + 0.5 * 150_000) / 300_000, rel=1e-3)
    assert len(points) == 2 * 98


def test_invoices_add_up_to_the_year(table):
    invoices = tables.invoices("Læsø", 2019, unit=None)
    assert len(invoices) == 12 and invoices.index[9] == "oktober 2019"
    assert (invoices["SAPA, ny model"].iloc[:9] == 0).all() and (invoices["SAPA, ny model"].iloc[9:] > 0).all()
    lines = tables.lines_table(budget_lines_of.budget_lines(table, 825), unit=None).loc[2019]
    assert invoices.sum().to_numpy() == pytest.approx(lines.to_numpy())
    shown = tables.invoices("Læsø", 2019)  # as the report shows them: whole kroner, each month adding up
    assert (shown["I alt, ny model"] == shown[["SAPA, ny model", *[LINE[c] for c in SHARED]]].sum(axis=1)).all()


def test_population_effect_by_hand(table):
    growth = compare.population_effect(table, 2020, 2026).set_index("kommune")
    assert growth.loc["København", "growth"] == pytest.approx(671_714 / 632_340 - 1)  # DST, 1 January
    assert growth.loc["Læsø", "growth"] == pytest.approx(1_683 / 1_786 - 1)
    assert growth["growth"].is_monotonic_decreasing


def test_per_inhabitant_spread_by_hand(table):
    """In 2030 KMD Sag is gone, so a municipality below both knees pays SAPA's price + 25 kr. infrastructure
    + 4,80 kr. buffet per inhabitant (the most anyone pays); København pays least, its knee-weighted share."""
    price = table.attrs["sapa_price"][2030]
    spread = compare.per_inhabitant_spread(table, 2030)
    assert spread["max"] == pytest.approx(price + 25 + 4.80)
    copenhagen = table.query("kommune == 'København' and year == 2030")["population"].iloc[0]  # projected
    share = (150_000 + 0.5 * (copenhagen - 150_000)) / copenhagen
    assert spread["min"] == pytest.approx((price + 25) * share + 4.80)


def test_the_knee_effect_holds_when_invoices_fix_the_knee_rate():
    """Invoices on both sides of the knee fix the rate at 40 %; the knee still moves money from the rest to the
    big four (before, the 'without knee' variant was solved back to the same rate and showed 0 kr. for all 98).
    Without the knee every inhabitant pays the same share of the year's total."""
    from sapa_model.scenarios import scenario_from_data

    invoices = [{"kommune": "Læsø", "year": 2021, "component": "sapa", "amount_dkk": 21168.00, "reference": "F1"},
                {"kommune": "Aarhus", "year": 2021, "component": "sapa", "amount_dkk": 2773204.80, "reference": "F3"}]
    scenario = scenario_from_data({"name": "kalibreret", "calibration": invoices})
    effect = knee.knee_effect(scenario, [2021]).set_index("kommune")
    assert effect.loc["Aarhus", "with_knee"] == pytest.approx(2773204.80, abs=0.01)
    assert effect.loc["Aarhus", "effect"] < -1e6 and effect.loc["Læsø", "effect"] > 0
    assert effect["effect"].sum() == pytest.approx(0, abs=0.01)  # the total is the same either way
    people = compute(scenario, [2021]).drop_duplicates("kommunekode").set_index("kommune")["population"]
    # Læsø (wave 4) is billed all 12 months of 2021 like everyone: its flat share is its share of the inhabitants
    assert effect.loc["Læsø", "without_knee"] == pytest.approx(effect["with_knee"].sum() * people["Læsø"] / people.sum())


def test_repeated_months_fold_into_one_row_with_each_month_s_amounts():
    """Læsø starts billing on 1 October 2019: nine months at 0, then three alike; 2026 is twelve alike."""
    months = tables.invoices("Læsø", 2019)
    folded = tables.invoices("Læsø", 2019, fold=True)
    assert list(folded.index) == ["januar-september 2019", "oktober-december 2019"]
    assert (folded.iloc[0] == months.iloc[0]).all() and (folded.iloc[1] == months.iloc[11]).all()
    assert (months.iloc[9:] == folded.iloc[1]).all().all()  # every folded month had these amounts
    assert list(tables.invoices("Aarhus", 2026, fold=True).index) == ["januar-december 2026"]


def test_the_headline_is_the_budget_table_s_line_to_the_krone(table):
    """The figures a municipal report opens with are the rounded budget lines, the total per inhabitant
    from the rounded total."""
    top = budget_lines_of.headline(table, 101, 2026)
    shown = tables.lines_table(budget_lines_of.budget_lines(table, 101)).loc[2026]
    assert top["total_new"] == shown["I alt, ny model"] and top["difference"] == shown[LINE["difference"]]
    assert top["sapa_new"] == shown["SAPA, ny model"] and top["population"] == 671_714  # DST, 1 January 2026
    assert top["per_inhabitant"] == pytest.approx(top["total_new"] / 671_714) and not top["projected"]
    assert budget_lines_of.headline(table, 101, 2028)["projected"]


def test_the_risk_band_as_budgeted_quotes_the_budget_table_and_adds_up(table):
    from sapa_model.analysis import risk

    bands = risk.risk_table(None, range(2019, 2031), 200)
    shown = budget_lines_of.lines(budget_lines_of.budget_lines(table, 101))
    band = risk.as_budgeted(risk.municipal_band(bands, 101), shown).pivot(index="year", columns="model")
    assert (band[("timeline", "old")] == shown["total_old"]).all()  # the planned bill is the table's line
    assert (band[("mean", "difference")] == band[("mean", "new")] - band[("mean", "old")]).all()
    assert (band == band.round()).all().all()  # whole kroner


def test_the_knee_summary_says_the_sum_of_the_rows_it_shows(table):
    summary = knee.knee_summary(None, table, 2026)
    above = summary["above"]
    assert set(above["kommune"]) == BIG4 and summary["rest_count"] == 94
    assert (above["effect"] == above["effect"].round()).all() and summary["saving"] == -above["effect"].sum()
    people = table[table["year"] == 2026].drop_duplicates("kommunekode")
    assert summary["rest_population"] == people[~people["kommune"].isin(BIG4)]["population"].sum()
