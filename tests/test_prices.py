"""Each year's price: announced by KOMBIT, invoiced, documented, else the last known price carried forward
(regulated with P/L when an index is given); every year says which."""

import pytest

from conftest import ROOT
from sapa_model import ScenarioError, compute, load_scenario
from sapa_model.scenarios import combine, scenario_from_data

PL = load_scenario(ROOT / "scenarios/pl_index_template.yaml")
LETTER = "KOMBIT, prisbrev af 15. juni 2026"


def _announced(prices, **extra):
    return scenario_from_data({"name": "prisbrev", "prices": {"reference": LETTER, **prices}, **extra})


def _line(table, kommune, component):
    rows = table[(table["kommune"] == kommune) & (table["component"] == component) & (table["model"] == "new")]
    return rows.set_index("year")


def test_an_announced_price_holds_for_its_year_and_is_carried_after_it():
    scenario = _announced({"sapa": {2027: 14.10}, "infrastructure": {2027: 27.0}, "buffet": {2027: 5.2}})
    table = compute(scenario, [2026, 2027, 2028])
    assert [table.attrs["sapa_price"][y] for y in (2027, 2028)] == pytest.approx([14.10, 14.10])
    laesoe = _line(table, "Læsø", "sapa")
    assert laesoe.loc[2027, "amount_dkk"] == pytest.approx(14.10 * laesoe.loc[2027, "population"])
    assert "carry_forward" not in laesoe.loc[2027, "assumption"] and "prices.carry_forward" in laesoe.loc[2028, "assumption"]
    assert laesoe.loc[2027, "illustrative"] == ""  # announced: no placeholder left in it
    assert laesoe.loc[2026, "illustrative"].count("old_model") > 0  # before the first known price: derived
    infra = _line(table, "Læsø", "infrastructure")
    assert infra.loc[2027, "amount_dkk"] == pytest.approx(27.0 * infra.loc[2027, "population"])
    assert infra.loc[2026, "amount_dkk"] == pytest.approx(25.0 * infra.loc[2026, "population"])  # 2020's, carried
    buffet = _line(table, "Læsø", "buffet")
    assert buffet.loc[2028, "amount_dkk"] == pytest.approx(5.2 * buffet.loc[2028, "population"])
    assert LETTER in scenario.params["sapa.price.per_inhabitant"].reference
    assert table.attrs["carried"]["sapa"] == {2028: 2027}


def test_with_a_price_index_a_carried_price_rises_with_p_l_and_unchanged_is_a_stated_choice():
    """2027's announced 14,10 kr. carried into 2028 grows with the template's last growth (2,0 %, carried past
    2026); with prices.carry_forward 'unchanged' it stays 14,10 kr."""
    scenario = combine(PL, _announced({"sapa": {2027: 14.10}}))
    assert compute(scenario, [2027, 2028]).attrs["sapa_price"][2028] == pytest.approx(14.10 * 1.02)
    flat = {"prices.carry_forward": "unchanged"}
    unchanged = combine(PL, _announced({"sapa": {2027: 14.10}}, parameters=flat))
    table = compute(unchanged, [2027, 2028])
    assert table.attrs["sapa_price"][2028] == pytest.approx(14.10)
    assert _line(table, "Læsø", "sapa").loc[2028, "scenario"] == "prices.carry_forward"  # the user's own choice


def test_an_invoice_in_a_year_kombit_announced_is_checked_not_solved():
    people = compute(None, [2027]).query("kommune == 'Læsø'")["population"].iloc[0]
    invoice = {"kommune": "Læsø", "year": 2027, "component": "sapa", "amount_dkk": 14.10 * people, "reference": "F"}
    scenario = _announced({"sapa": {2027: 14.10}}, calibration=[invoice])
    assert scenario.calibrated.parameters.get("sapa.price.calibrated") is None
    with pytest.raises(ScenarioError, match="do not agree"):
        _announced({"sapa": {2027: 14.10}}, calibration=[{**invoice, "amount_dkk": 1.25 * 14.10 * people}])


def test_prices_from_a_file(tmp_path):
    (tmp_path / "priser.csv").write_text("komponent;år;pris;kilde\nsapa;2027;14,10;Prisbrev 2026\n"
                                         "infrastructure;2027;27;Prisbrev 2026\n", encoding="utf-8")
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: Fra fil\nprices_file: priser.csv\n", encoding="utf-8")
    table = compute(load_scenario(scenario), [2027])
    assert table.attrs["sapa_price"][2027] == pytest.approx(14.10)
    assert load_scenario(scenario).params["infrastructure.price_announced"].by_year() == {2027: 27.0}


@pytest.mark.parametrize("prices,message", [
    ({"sapa": {2027: 14.1}}, "give a reference"),
    ({"reference": "x", "kaffe": {2027: 1}}, "unknown payment 'kaffe'; prices are given for sapa, infrastructure, buffet"),
    ({"reference": "x", "sapa": {2027: -1}}, "outside 0-1000"),
    ({"reference": "x", "sapa": {1999: 10}}, "year 1999 is outside"),
    ({"reference": "x", "sapa": [14.1]}, "must map years to prices"),
])
def test_bad_prices_are_named(prices, message):
    with pytest.raises(ScenarioError, match=message):
        scenario_from_data({"name": "x", "prices": prices})


def test_the_given_method_needs_a_price_for_every_year():
    scenario = _announced({"sapa": {2020: 9.0}}, parameters={"sapa.price.method": "given"})
    with pytest.raises(Exception, match="no SAPA price is known for 2019"):
        compute(scenario, [2019, 2020, 2021])
    assert compute(scenario, [2020, 2021]).attrs["sapa_price"][2021] == pytest.approx(9.0)


def test_prices_per_inhabitant_are_always_written_with_oere_and_years_without_a_separator():
    from sapa_model.views.presentation import describe_value

    scenario = scenario_from_data({"name": "x", "prices": {"reference": "r", "sapa": {2026: 15, 2027: 14.1}},
                                   "parameters": {"old_model.full_price": 16}})
    params = scenario.params
    assert describe_value(params["sapa.price.per_inhabitant"]) == "15,00 i 2026, 14,10 i 2027 (kr./indbygger/år)"
    assert describe_value(params["old_model.full_price"]) == "16,00 kr./indbygger/år"  # an int in the scenario
    assert describe_value(params["infrastructure.price_per_inhabitant"]) == "0,00 fra 2019, 25,00 fra 2020 (kr./indbygger/år)"
    assert describe_value(params["kmd_sag.baseline_year"]) == "2013 år"
    assert describe_value(params["sapa.knee.threshold"]) == "150.000 indbyggere"  # not kroner: no øre
    assert describe_value(params["sapa.knee.rate"]) == "50 %"
