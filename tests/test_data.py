"""The shipped data itself: counts, uniqueness, national totals, the wave plan's billing rule."""

import pandas as pd
import pytest

from sapa_model.data import datasets
from sapa_model.parameters import baseline
from sapa_model.rules import calendar
from sapa_model.errors import DataError


def test_98_municipalities_with_unique_codes_and_names():
    table = datasets.municipalities()
    assert len(table) == 98
    assert table["kommunekode"].is_unique and table["kommune"].is_unique
    assert set(table["region"]) == set(datasets.REGIONS)


def test_every_municipality_in_exactly_one_wave():
    waves = datasets.read_table("waves.csv")
    assert len(waves) == 98 and waves["kommunekode"].is_unique
    assert set(waves["kommunekode"]) == set(datasets.municipalities().index)
    assert waves["wave"].value_counts().to_dict() == {
        "pilot": 7, "1": 13, "2": 15, "3": 14, "4": 17, "5": 17, "6": 15}  # counted on the slide


def test_population_complete_and_positive():
    wide = datasets.observed_population()
    assert wide.shape == (98, 14)
    assert list(wide.columns) == list(range(2013, 2027))
    assert (wide > 0).all().all()


def test_each_year_98_plus_christiansoe_equal_the_national_total():
    wide = datasets.observed_population()
    totals = datasets.national_totals()
    for year in wide.columns:
        row = totals.loc[year]
        assert wide[year].sum() == row["sum_98_kommuner"]
        assert wide[year].sum() + row["christiansoe"] == row["hele_landet"] == row["hele_landet_independent"]


def test_anchor_values_from_statistics_denmark():
    wide = datasets.observed_population()
    assert wide.loc[101, 2019] == 623_404  # København
    assert wide.loc[825, 2019] == 1_806  # Læsø
    assert wide.loc[751, 2019] == 345_332  # Aarhus


def test_the_seeds_billing_starts_follow_the_rule_the_model_applies():
    """The slide states each wave's billing start; the model derives it from the course end with the
    sourced rule. The two must agree for every municipality."""
    waves = datasets.read_table("waves.csv")
    rule = calendar.start_month(waves["course_end"].to_numpy(), baseline().value("billing.earliest_start"))
    stated = waves["billing_start"].to_numpy().astype("datetime64[M]")
    assert (stated == rule).all(), waves.loc[stated != rule, "kommune"].tolist()
    assert sorted(set(stated.astype(str))) == ["2019-07", "2019-10", "2019-11", "2019-12"]


def test_only_four_municipalities_ever_above_150000():
    wide = datasets.observed_population()
    names = datasets.municipalities()["kommune"]
    assert sorted(names[wide.max(axis=1) > 150_000]) == ["Aalborg", "Aarhus", "København", "Odense"]


def test_inferred_placements_are_the_last_13_of_the_slide():
    waves = datasets.read_table("waves.csv")
    inferred = set(waves.loc[waves["placement"] == "inferred", "kommune"])
    assert inferred == {"Stevns", "Tårnby", "Høje-Taastrup", "Helsingør", "Furesø", "Vordingborg", "Ishøj",
                        "Hørsholm", "Lolland", "København", "Lyngby-Taarbæk", "Vallensbæk", "Rudersdal"}


def test_bad_data_file_lists_every_problem_with_row_and_column(tmp_path):
    (tmp_path / "population.csv").write_text(
        "kommunekode,year,population\n101,2013,559440\n147,2013,-5\n151,2013,0\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        datasets.read_table("population.csv", tmp_path)
    message = str(caught.value)
    assert "row 3, column population" in message and "row 4, column population" in message
    assert "2 problem(s)" in message


def test_missing_data_file_says_where_it_should_be(tmp_path):
    with pytest.raises(DataError, match="waves.csv is missing"):
        datasets.read_table("waves.csv", tmp_path)
