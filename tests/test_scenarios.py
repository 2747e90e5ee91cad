"""Scenarios: the shipped examples do what their descriptions say; bad ones fail clearly."""

import datetime as dt

import numpy as np
import pytest

from conftest import ROOT
from sapa_model import ScenarioError, combine, compute, load_scenario
from sapa_model.scenarios import scenario_from_data

SCENARIOS = ROOT / "scenarios"
BIG4 = ["København", "Aarhus", "Aalborg", "Odense"]


def _sapa(table, model="new"):
    rows = table[(table["model"] == model) & (table["component"] == "sapa")]
    return rows.pivot(index="kommune", columns="year", values="amount_dkk")


@pytest.fixture(scope="module")
def base():
    return compute()


def test_every_shipped_scenario_loads():
    for path in SCENARIOS.glob("*.yaml"):
        scenario = load_scenario(path)
        assert scenario.name and scenario.changed(), path


def test_knee_at_100000_helps_the_big_and_costs_the_rest(base):
    after, before = _sapa(compute(SCENARIOS / "knee_100000.yaml")), _sapa(base)
    population = base[base["year"] == 2022].drop_duplicates("kommune").set_index("kommune")["population"]
    small = population.index[population < 100_000]
    assert (after.loc[BIG4, 2022] < before.loc[BIG4, 2022]).all()
    assert (after.loc[small, 2022] > before.loc[small, 2022]).all()
    assert after[2022].sum() == pytest.approx(before[2022].sum(), abs=1)  # the total does not rise


def test_knee_rate_075_costs_the_big_and_helps_the_rest(base):
    after, before = _sapa(compute(SCENARIOS / "knee_rate_075.yaml")), _sapa(base)
    others = [k for k in before.index if k not in BIG4]
    assert (after.loc[BIG4, 2022] > before.loc[BIG4, 2022]).all()
    assert (after.loc[others, 2022] < before.loc[others, 2022]).all()


@pytest.mark.parametrize("file,moved_years", [("ky_delayed_12m.yaml", [2020, 2021]),
                                              ("udk_delayed_6m.yaml", [2020, 2021])])
def test_delays_lower_the_old_model_in_the_years_they_cover_and_leave_the_new_model(base, file, moved_years):
    late = compute(SCENARIOS / file)
    assert _sapa(late).equals(_sapa(base))
    old_late, old_base = _sapa(late, "old"), _sapa(base, "old")
    for year in moved_years:
        assert (old_late[year] <= old_base[year]).all() and old_late[year].sum() < old_base[year].sum()
    assert np.allclose(old_late[2023], old_base[2023])


def test_ky_delay_makes_kmd_sag_last_longer(base):
    late = compute(SCENARIOS / "ky_delayed_12m.yaml")
    kmd = lambda t: t[(t["component"] == "kmd_sag") & (t["year"] == 2021)]["amount_dkk"].sum()
    assert kmd(late) > kmd(base)


def test_template_gives_the_prices_it_lists():
    table = compute(SCENARIOS / "kombit_prices_template.yaml", years=[2020])
    assert table.attrs["sapa_price"][2020] == 9.43
    assert "sapa.price.per_inhabitant" in table.attrs["illustrative"]


def test_sourced_prices_are_no_longer_illustrative():
    scenario = scenario_from_data({"name": "real", "parameters": {
        "sapa.price.method": "given",
        "sapa.price.per_inhabitant": {"values": {"2019-01-01": 8.0}, "status": "sourced", "reference": "notat"}}})
    table = compute(scenario, years=[2019])
    new_sapa = table[(table["model"] == "new") & (table["component"] == "sapa")]
    assert not new_sapa["illustrative"].str.len().any()


def test_the_template_filled_in_rests_on_the_notat_not_on_a_choice_in_the_file(tmp_path):
    """With the template's values marked sourced, no new-model SAPA figure says it was entered in a scenario
    or is a placeholder; what remains is the knee threshold from the seed deck."""
    text = (SCENARIOS / "kombit_prices_template.yaml").read_text(encoding="utf-8")
    filled = tmp_path / "my_prices.yaml"
    filled.write_text(text.replace("status: illustrative ", "status: sourced      "), encoding="utf-8")
    table = compute(filled, years=[2020, 2021])
    new_sapa = table[(table["model"] == "new") & (table["component"] == "sapa")]
    assert not new_sapa["scenario"].str.len().any() and not new_sapa["illustrative"].str.len().any()
    assert set(new_sapa["status"]) == {"seed"}


def test_combined_scenarios_apply_both_and_the_later_wins():
    both = combine(load_scenario(SCENARIOS / "knee_100000.yaml"), load_scenario(SCENARIOS / "ky_delayed_12m.yaml"))
    assert set(both.changed()) == {"sapa.knee.threshold", "old_model.events.ky.delay"}
    assert both.name == "Knæk ved 100.000 + KY forsinket 12 måneder"
    later = combine(scenario_from_data({"name": "a", "delays": {"ky": 3}}),
                    scenario_from_data({"name": "b", "delays": {"ky": 9}}))
    assert later.params.value("old_model.events.ky.delay") == 9


def test_saved_scenario_reads_back_to_the_same_figures(tmp_path):
    scenario = combine(load_scenario(SCENARIOS / "kombit_prices_template.yaml"),
                       load_scenario(SCENARIOS / "ky_delayed_12m.yaml"))
    path = tmp_path / "saved.yaml"
    path.write_text(scenario.to_yaml(), encoding="utf-8")
    assert compute(load_scenario(path))["amount_dkk"].equals(compute(scenario)["amount_dkk"])


@pytest.mark.parametrize("text,message", [
    ("name: x\nparameters:\n  sapa.knee.treshold: 100000\n", "did you mean sapa.knee.threshold"),
    ("name: x\nparameters:\n  sapa.knee.rate: half\n", "takes a number such as 0.5"),
    ("name: x\nparameters:\n  sapa.knee.rate: 1.5\n", r"from 0 to 1 \(a share: 0.5 = 50 %\)"),
    ("name: x\nparameters:\n  old_model.full_price: {values: {2019-01-01: 3}, unit: kr}\n",
     "unit 'kr' is wrong; old_model.full_price is in 'kr./indbygger/år'"),
    ("name: x\nparameters:\n  sapa.price.method: guessed\n", "use one of derived, given"),
    ("name: x\ndelays: {kyy: 3}\n", "unknown event 'kyy'; the events are ksd, ky, udk, kmd_sag_off"),
    ("name: x\ndelays: {ky: soon}\n", "must be a whole number of months"),
    ("name: x\nfoo: 1\n", "unknown key 'foo'"),
    ("description: no name\n", "'name' is missing"),
    ("name: x\nparameters:\n  old_model.base_share: 0.5\n", "must add up to 1"),
    ("name: x\nparameters: [1, 2]\n", "'parameters' must map"),
    ("name: [unclosed\n", "not valid YAML"),
    ("name: x\nprojection: crystal_ball\n", "use one of best, carry_forward, trend, backtested"),
    ("name: x\nparameters:\n  old_model.events.ky.delay_low: 30\n",
     "delay distribution of ky needs delay_low <= delay_mode <= delay_high; got 30, 6, 24"),
])
def test_malformed_scenarios_name_the_problem(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError, match=message):
        load_scenario(path)


def test_every_problem_is_listed_at_once(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nparameters:\n  sapa.knee.treshold: 1\n  sapa.knee.rate: half\ndelays: {kyy: 1}\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value).count("\n") == 3 and "bad.yaml" in str(caught.value)


def test_missing_scenario_file_says_where_the_examples_are():
    with pytest.raises(ScenarioError, match="does not exist; the shipped examples are in scenarios/"):
        load_scenario("scenarios/nope.yaml")


def test_a_scenario_keeps_its_name_whatever_it_delays():
    scenario = scenario_from_data({"name": "Mit navn", "delays": {"ky": 12, "udk": {"3": 2}}})
    assert scenario.name == "Mit navn"
    assert scenario.params.value("old_model.events.udk.wave_delay.3") == 2


def test_moving_the_infrastructure_start_alone_is_refused_and_moving_both_is_accepted():
    """Two facts that must agree: SAPA's price loses the infrastructure share only in years the infrastructure is
    billed on its own; moving the start to 2021 without the share would charge 2020 for neither."""
    later = {"infrastructure.price_per_inhabitant": {"2020-01-01": 0.0, "2021-01-01": 25.0}}
    with pytest.raises(ScenarioError, match="infrastructure_share takes the infrastructure out of SAPA's price in 2020"):
        scenario_from_data({"name": "senere infrastruktur", "parameters": later})
    both = {**later, "sapa.infrastructure_share": {"2020-01-01": 0.0, "2021-01-01": 3.0}}
    table = compute(scenario_from_data({"name": "begge flyttet", "parameters": both}), [2020, 2021])
    infra = table.query("component == 'infrastructure' and model == 'new'").groupby("year")["amount_dkk"].sum()
    assert infra[2020] == 0 and infra[2021] > 0


def test_every_problem_in_the_overrides_is_named_in_full():
    with pytest.raises(ScenarioError) as caught:
        scenario_from_data({"name": "x", "parameters": {
            "sapa.knee.rate": {"values": {"2019-01-01": 0.4}, "foo": 1},
            "old_model.full_price": {"value": 18, "unit": "kr"},
            "sapa.knee.threshold": {"value": 100000, "status": "guess"},
            "buffet.price_per_inhabitant": {"value": 2, "status": "sourced"},
            "sapa.price.method": 3,
            "billing.earliest_start": "2019-13-01",
            "projection.method": "linear",
            "montecarlo.draws": {},
        }, "delays": {"ky": "12", "udk": {"9": 1}, "kyy": 1}, "projection": 5})
    assert str(caught.value) == """the scenario is not a valid scenario:
  delays: ky must be a whole number of months, not '12'
  delays: udk: unknown wave '9'; the waves are pilot, 1, 2, 3, 4, 5, 6
  delays: unknown event 'kyy'; the events are ksd, ky, udk, kmd_sag_off
  'projection' must be carry_forward, trend or {method: trend, trend_years: 5, forecast_file: x.csv}
  sapa.knee.rate: unknown key(s) ['foo']; the long form takes ['description', 'reference', 'status', 'unit', 'value', 'values']
  old_model.full_price: unit 'kr' is wrong; old_model.full_price is in 'kr./indbygger/år'
  sapa.knee.threshold: status 'guess' must be one of sourced, seed, scenario, assumption, illustrative ('calibrated' is given by a calibration from invoices)
  buffet.price_per_inhabitant: a sourced value needs a reference (the document it comes from)
  sapa.price.method: 3.0 is a number; sapa.price.method takes a word
  billing.earliest_start: '2019-13-01' is not a date; write it as YYYY-MM-DD, e.g. 2020-01-01
  projection.method: 'linear' is not allowed; use one of best, carry_forward, trend, backtested
  montecarlo.draws: no values given"""


def test_the_long_form_keeps_what_it_says_about_a_value():
    """Status, reference (with the scenario named), description; without a status a value is 'scenario'; a date
    parameter takes a date written as text; a single value applies from the parameter's first date."""
    scenario = scenario_from_data({"name": "Notat", "parameters": {
        "sapa.price.per_inhabitant": {"values": {"2019-01-01": 12.34}, "unit": "kr./indbygger/år", "status": "sourced",
                                      "reference": " KOMBIT notat ", "description": "Fra notatet"},
        "sapa.knee.threshold": {"value": 100000},
        "billing.earliest_start": "2019-08-01",
        "old_model.full_price": 18,
    }})
    price = scenario.params["sapa.price.per_inhabitant"]
    assert (price.status, price.reference, price.description) == (
        "sourced", "KOMBIT notat (scenario Notat)", "Fra notatet")
    threshold = scenario.params["sapa.knee.threshold"]
    assert (threshold.status, threshold.reference, threshold.values) == ("scenario", "scenario Notat", (100000,))
    assert str(scenario.params.value("billing.earliest_start")) == "2019-08-01"
    full = scenario.params["old_model.full_price"]
    assert [str(d) for d in full.dates] == ["2019-01-01"] and full.values == (18,)
    assert scenario_from_data({"name": "x", "parameters": {"sapa.knee.rate": {"value": 0.4, "description": "d" * 600}}}
                              ).params["sapa.knee.rate"].description == "d" * 500


def test_a_combined_scenario_names_its_parts_and_keeps_their_invoices(tmp_path):
    first = tmp_path / "a.yaml"
    first.write_text("name: A\ndescription: Første\nparameters: {sapa.knee.rate: 0.4}\n", encoding="utf-8")
    invoices = scenario_from_data({"name": "B", "description": "Anden", "calibration": [
        {"kommune": "Læsø", "year": 2021, "component": "sapa", "amount_dkk": 21168, "reference": "F1"}]})
    both = combine(scenario_from_data({"name": "tom"}), load_scenario(first), invoices)
    assert (both.name, both.description, both.source) == ("A + B", "Første Anden", str(first))
    assert [o.reference for o in both.calibration] == ["F1"]
    assert combine(scenario_from_data({"name": "tom"}), scenario_from_data({"name": "tom2"})).name == "tom"
    assert (load_scenario(first) + invoices).to_yaml() == combine(load_scenario(first), invoices).to_yaml()
    saved = tmp_path / "both.yaml"
    saved.write_text(both.to_yaml(), encoding="utf-8")
    text = saved.read_text(encoding="utf-8")
    assert text.startswith("name: A + B\ndescription: Første Anden\n") and "calibration:\n- kommune: Læsø" in text
    again = load_scenario(saved)
    assert again.params["sapa.price.calibrated"].by_year() == both.params["sapa.price.calibrated"].by_year()


def test_a_date_written_as_text_is_a_date(tmp_path):
    """A quoted date in a scenario file (or one typed in the explorer) is used as the date it names."""
    path = tmp_path / "dato.yaml"
    path.write_text("name: x\nparameters:\n  billing.earliest_start: '2019-10-01'\n", encoding="utf-8")
    starts = compute(load_scenario(path), [2019]).query("kommune == 'Aarhus' and model == 'new' and component == 'sapa'")
    assert starts["amount_dkk"].iloc[0] == pytest.approx(compute(scenario_from_data(
        {"name": "y", "parameters": {"billing.earliest_start": dt.date(2019, 10, 1)}}), [2019]).query(
        "kommune == 'Aarhus' and model == 'new' and component == 'sapa'")["amount_dkk"].iloc[0])
