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
    table = population_table([2026, 2030]).pivot(index="kommunekode", columns="year", values="population")
    assert (table[2030] == table[2026]).all()


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
