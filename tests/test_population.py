"""Population on 1 January: observed values, projections and their flags, the year range."""

import numpy as np
import pytest

from sapa_model import YearOutOfRangeError, population, population_table
from sapa_model.scenarios import apply_overrides


def test_statistics_denmark_figure_via_an_alias():
    assert population("Høje-Tåstrup", 2021) == 51_729  # DST FOLK1A 2021K1, Høje-Taastrup


def test_table_has_every_municipality_and_year_flagged():
    table = population_table(range(2013, 2031))
    assert len(table) == 98 * 18
    assert not table.loc[table["year"] <= 2026, "projected"].any()
    assert table.loc[table["year"] > 2026, "projected"].all()


def test_carry_forward_repeats_the_last_observed_value():
    params = apply_overrides({"projection.method": "carry_forward"})
    table = population_table([2026, 2030], params).pivot(index="kommunekode", columns="year", values="population")
    assert (table[2030] == table[2026]).all()


def test_the_backtest_measures_each_method_against_what_happened():
    """Carried forward from 1 January 2017 (the first origin a 5-year trend has), Læsø's 2019 figure is 2 years
    ahead: its error is the 2019 population over the 2017 one, less 1."""
    from sapa_model.data import population as people

    observed = people.datasets.observed_population().loc[825]
    errors = people.backtest("carry_forward", 5)
    row = list(people.datasets.observed_population().index).index(825)
    assert errors[row, 0, 1] == pytest.approx(observed[2019] / observed[2017] - 1)
    assert np.isnan(errors[row, -1, 1])  # 2 years after 2025 is not observed yet
    trend = people.backtest("trend", 5)
    slope, intercept = np.polyfit(np.arange(2013, 2018), observed[list(range(2013, 2018))].to_numpy(float), 1)
    assert trend[row, 0, 0] == pytest.approx(observed[2018] / (slope * 2018 + intercept) - 1)


def test_best_is_the_method_with_the_smallest_measured_error_and_is_the_default():
    from sapa_model.data import population as people

    errors = {m: people.mean_error(m, 5).mean() for m in ("carry_forward", "trend", "backtested")}
    assert people.best_method(5) == min(errors, key=errors.get)
    best = apply_overrides({"projection.method": people.best_method(5)})
    assert population("Aarhus", 2029) == population("Aarhus", 2029, best)  # the default is the best measured


def test_trend_extends_a_straight_line_through_the_last_five_years():
    params = apply_overrides({"projection.method": "trend"})
    observed = population_table(range(2022, 2027)).query("kommunekode == 101")["population"].to_numpy()
    slope, intercept = np.polyfit(np.arange(2022, 2027), observed, 1)
    assert population(101, 2030, params) == round(slope * 2030 + intercept)
    assert population(101, 2030, params) > population(101, 2026)  # København is growing


@pytest.mark.parametrize("year", [2012, 2041, 1999])
def test_years_out_of_range_name_the_range(year):
    with pytest.raises(YearOutOfRangeError, match="2013-2040"):
        population("Aarhus", year)


def test_year_range_edges_are_accepted():
    assert population("Aarhus", 2013) > 0 and population("Aarhus", 2040) > 0
