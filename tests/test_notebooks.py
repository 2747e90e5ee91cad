"""The notebooks: paired and clean, their figures equal sapa_model's, bad parameters fail clearly."""

import json
import re

import jupytext
import nbformat
import pytest
from papermill.exceptions import PapermillExecutionError

from conftest import ROOT
from notebook_runner import NOTEBOOKS, key_figures, run, run_with_papermill, text
from sapa_model import compute, municipality
from sapa_model.engine import risk
from sapa_model.views import fmt
from sapa_model.analysis.compare import total_check
from sapa_model.analysis.knee import knee_effect
from sapa_model.analysis.lines import budget_lines
from sapa_model.views.tables import lines_table
from sapa_model.views.labels import LINE, official_name

NAMES = ["kommune_budget", "old_vs_new", "costs_over_years", "knee_discount", "explorer", "kommune_followup",
         "national_followup"]


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_paired_with_its_text_file_and_committed_without_outputs(name):
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    paired = jupytext.read(NOTEBOOKS / f"{name}.py")
    assert [c.source for c in notebook.cells] == [c.source for c in paired.cells]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in notebook.cells if c.cell_type == "code")
    parameters = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(parameters) == 1
    for line in parameters[0].source.splitlines():  # literals only, each with its type and meaning
        assert " = " in line and "  # " in line and line.split("#", 1)[1].strip().split(":")[0] in ("str", "int", "str | int", "int | None")


@pytest.mark.parametrize("kommune,scenario", [
    ("København", ""),  # above the knee
    ("Læsø", ""),  # small island, wave 4
    ("Høje-Tåstrup", ""),  # inferred wave placement
    ("Aarhus", "scenarios/ky_delayed_12m.yaml"),
])
def test_kommune_budget_shows_what_sapa_model_computes(tmp_path, kommune, scenario):
    """Led by the budget year 2028 and its overslagsår 2029-2031 (past the default horizon of 2030)."""
    notebook = run("kommune_budget", tmp_path, kommune=kommune, scenario=scenario, budget_year=2028)
    figures = key_figures(notebook)
    place = municipality(kommune)
    wide = budget_lines(compute(ROOT / scenario if scenario else None, range(2019, 2032)), place.code)
    lines, shown_lines = wide.loc[2028], lines_table(wide).loc[2028]
    assert figures["kommunekode"] == place.code and figures["budget_years"] == [2028, 2029, 2030, 2031]
    assert figures["sapa_new"] == pytest.approx(lines[("new", "sapa")], abs=0.01)
    assert figures["sapa_old"] == pytest.approx(lines[("old", "sapa")], abs=0.01)
    assert figures["total_new"] == pytest.approx(lines[("new", "total")], abs=0.01)
    shown = text(notebook)
    assert f"I 2028 betaler {official_name(place.name)} {fmt.kr(shown_lines['SAPA, ny model'])} for SAPA" in shown
    # The key figures say what the budget table shows, to the krone.
    assert figures["shown_total_new"] == shown_lines["I alt, ny model"]
    assert figures["shown_difference"] == shown_lines[LINE["difference"]]
    assert f"<dd>{fmt.kr(shown_lines['I alt, ny model'])}" in shown and fmt.signed_kr(figures["shown_difference"]) in shown
    assert f"budget 2028 og overslagsår, kr., løbende priser, ekskl. moms" in shown
    assert "fakturaer pr. måned i 2028" in shown and ">2031<" in shown
    assert "Illustrative tal" in shown
    if place.wave_inferred:
        assert "Usikker bølgeplacering" in shown
    if scenario:
        assert "KY forsinket 12 måneder" in shown


def test_old_vs_new_totals_equal_sapa_model(tmp_path):
    figures = key_figures(run("old_vs_new", tmp_path, draws=200, budget_year=2027))
    check = total_check(compute())
    assert figures["sapa_old_total"] == pytest.approx(check["old"].sum(), abs=0.01)
    assert figures["sapa_new_total"] == pytest.approx(check["new"].sum(), abs=0.01)
    assert figures["largest_difference"] < 1 and figures["differing_years"] == []  # revenue neutral by construction
    period = risk(draws=200, years=range(2019, 2031)).attrs["national_period"].set_index(["model", "component"])
    assert figures["rise_expected"] == pytest.approx(period.loc[("difference", "total"), "mean"], abs=0.01)
    assert figures["rise_p05"] < figures["rise_expected"] < figures["rise_p95"]
    assert figures["more_predictable"] + figures["less_predictable"] <= 98


def test_knee_discount_figures_equal_sapa_model(tmp_path):
    figures = key_figures(run("knee_discount", tmp_path, budget_year=2022))
    effect = knee_effect(None, [2022])
    big = effect[effect["above_threshold"]]
    assert sorted(figures["above_threshold"]) == ["Aalborg", "Aarhus", "København", "Odense"]
    assert figures["big_saving"] == pytest.approx(-big["effect"].sum(), abs=len(big) * 0.5)  # rows in whole kroner
    assert figures["big_saving"] == -sum(figures["shown_effects"])  # the sentence says the sum of the rows shown
    assert figures["big_saving"] == pytest.approx(figures["rest_extra"], abs=50)  # revenue neutral, row by row rounded


def test_costs_over_years_for_a_region(tmp_path):
    figures = key_figures(run("costs_over_years", tmp_path, region="Nordjylland", budget_year=2027))
    table = compute()
    rows = table[(table["region"] == "Nordjylland") & (table["year"] == 2027) & (table["model"] == "new")]
    assert figures["municipalities"] == 11 and figures["unit"] == 1000
    assert figures["total_new_budget_year"] == pytest.approx(rows["amount_dkk"].sum(), abs=0.01)
    by_municipality = rows.groupby("kommunekode")["amount_dkk"].sum()
    rounded = sum(int(v / 1000 + 0.5) for v in by_municipality)  # each municipality to whole 1.000 kr., then summed
    assert figures["guide_total"] == rounded


def test_kommune_budget_risk_section_shows_what_risk_computes(tmp_path):
    """The whole bill's band equals sapa_model.risk() for the report's years; its table covers exactly the years
    the delays move, and says from which year they no longer do."""
    notebook = run("kommune_budget", tmp_path, kommune="Ærø", budget_year=2027)
    figures, place = key_figures(notebook), municipality("Ærø")
    band = risk(years=range(2019, 2031))
    band = band[(band["kommunekode"] == place.code) & (band["component"] == "total")].set_index(["year", "model"])
    spread = band["p95"] - band["p05"]
    moved = sorted({y for (y, _), s in spread.items() if s > 0.5})
    old = spread.xs("old", level="model")
    assert figures["risk_years"] == moved and moved[-1] < 2030
    assert figures["risk_worst_year"] == old.idxmax()
    assert figures["risk_old_p05"] == pytest.approx(band.loc[(old.idxmax(), "old"), "p05"], abs=0.5)  # whole kroner
    assert figures["risk_old_p95"] == pytest.approx(band.loc[(old.idxmax(), "old"), "p95"], abs=0.5)
    assert f"Fra {moved[-1] + 1} er hele regningen den samme i alle forløb" in text(notebook)
    # The planned bill the text quotes is the budget table's line, to the krone (not the band's own sum).
    planned = lines_table(budget_lines(compute(None, range(2019, 2031)), place.code)).loc[old.idxmax(), "I alt, gammel model"]
    assert f"på den planlagte tidsplan {fmt.kr(planned)}" in text(notebook)


def test_the_budget_year_defaults_to_the_year_after_the_build_date(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764288000")  # 28 November 2025
    figures = key_figures(run_with_papermill("kommune_budget", tmp_path, kommune="Ærø"))  # its own process sees it
    assert figures["year"] == 2026 and figures["budget_years"] == [2026, 2027, 2028, 2029]


@pytest.mark.parametrize("name,parameters,message", [
    ("kommune_budget", {"kommune": "Arhus"}, "unknown municipality 'Arhus'; did you mean 'Aarhus'?"),
    ("kommune_budget", {"kommune": "Aarhus", "last_year": 2050}, "outside the range the model covers: 2019-2040"),
    ("costs_over_years", {"region": "Sjaelland"}, "unknown region 'Sjaelland'; did you mean 'Sjælland'?"),
    ("old_vs_new", {"scenario": "scenarios/missing.yaml"}, "does not exist"),
])
def test_bad_parameter_stops_with_a_clear_message(tmp_path, name, parameters, message):
    with pytest.raises(PapermillExecutionError) as caught:
        run_with_papermill(name, tmp_path, **parameters)
    assert message in str(caught.value)
    assert "Traceback" not in json.dumps(caught.value.traceback)  # the user's typo shows no stack trace


@pytest.mark.parametrize("name,parameters", [("knee_discount", {}), ("old_vs_new", {"draws": 50})])
def test_a_moved_knee_is_stated_everywhere_it_is_mentioned(tmp_path, name, parameters):
    """Built with the knee at 100.000, no sentence about SAPA's knee says 150.000 (only the infrastructure's
    own knee, which the scenario leaves alone, may)."""
    shown = text(run(name, tmp_path, scenario="scenarios/knee_100000.yaml", **parameters))
    paragraphs = [p for p in re.split(r"</p>|</li>|\n\n", shown) if "150.000" in p]
    assert "ud over 100.000" in shown
    assert all("nfrastruktur" in p for p in paragraphs), paragraphs


def test_old_vs_new_names_the_years_the_national_total_differs(tmp_path):
    """With a 2023 invoice the national SAPA total differs from 2023 on (the invoice fixes 2023, and its price is
    carried into the later years, where the derived price would have kept the total)."""
    scenario = tmp_path / "faktura.yaml"
    scenario.write_text("name: En faktura\ncalibration:\n  - {kommune: Læsø, year: 2023, component: sapa, "
                        "amount_dkk: 20000, reference: F-1}\n", encoding="utf-8")
    notebook = run("old_vs_new", tmp_path, draws=50, budget_year=2027, scenario=str(scenario))
    check = total_check(compute(scenario))
    expected = [int(y) for y in check.index[check["difference"].abs() > 0.5]]
    assert key_figures(notebook)["differing_years"] == expected == list(range(2023, 2031))
    assert "forskelligt efter de to modeller i 2023-2030." in text(notebook)


def _tables(notebook) -> dict[str, list[list[str]]]:
    """Every HTML table the notebook shows, by caption: its body rows as cell texts."""
    found = {}
    for part in re.findall(r"<table.*?</table>", text(notebook), flags=re.S):
        caption = re.search(r"<caption>(.*?)</caption>", part, flags=re.S)
        rows = [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, flags=re.S)]
                for r in re.findall(r"<tr>(.*?)</tr>", part.split("<tbody>")[-1], flags=re.S)]
        found[caption.group(1) if caption else ""] = [r for r in rows if r]
    return found


def _number(cell: str) -> float:
    return float(cell.replace(".", "").replace(",", ".").replace("−", "-"))


def test_every_unit_and_price_level_label_matches_the_numbers_it_covers(tmp_path):
    """With --unit 1000 and 2027-pris- og lønniveau: the budget tables in 1.000 kr. hold thousands, the tables in
    kr. hold kroner, and every table that says 2027-pris- og lønniveau holds amounts converted to it (the
    history of the delays included, which used to be in current prices under that label)."""
    from sapa_model.analysis.budget import Basis, express
    from sapa_model.analysis.risk import municipal_band
    from sapa_model.engine import price_levels
    from sapa_model.scenarios import load_scenario

    scenario = ROOT / "scenarios/pl_index_template.yaml"
    notebook = run("kommune_budget", tmp_path, kommune="Læsø", scenario=str(scenario), budget_year=2027, unit=1000,
                   prices=2027, draws=200)
    params = load_scenario(scenario).params
    table = express(compute(scenario, range(2019, 2031)), Basis(1, 2027), params)
    wide = budget_lines(table, 825)
    tables = _tables(notebook)
    level = "2027-pris- og lønniveau, ekskl. moms"
    budget = next(rows for caption, rows in tables.items() if "budget 2027 og overslagsår, 1.000 kr., " + level in caption)
    assert _number(budget[0][6]) == round(lines_table(wide.loc[[2027]], 1000).iloc[0]["I alt, ny model"])
    months = next(rows for caption, rows in tables.items() if "fakturaer pr. måned i 2027, kr., " + level in caption)
    assert _number(months[0][1]) == round(wide.loc[2027, ("new", "sapa")] / 12)  # kroner, not thousands
    ahead = next(rows for caption, rows in tables.items() if "hele betalingen i budgetårene, kr., " + level in caption)
    assert _number(ahead[0][1]) == lines_table(wide.loc[[2027]], 1).iloc[0]["I alt, ny model"]
    history = next(rows for caption, rows in tables.items() if "hele regningen under forsinkelser, kr., " + level in caption)
    from sapa_model.engine import risk
    band = municipal_band(risk(scenario, draws=200, years=range(2019, 2031)), 825)
    first = band[(band["model"] == "new")].set_index("year").loc[int(history[0][0]), "mean"]
    levels = price_levels(params, [int(history[0][0]), 2027])
    assert _number(history[0][1]) == round(first * levels[2027] / levels[int(history[0][0])])
    assert not any("1.000 kr." in caption for caption in tables if "budget 2027 og overslagsår" not in caption
                   and "budgetlinjer" not in caption)


def test_the_national_tables_in_kroner_say_kroner_beside_the_guide_in_thousands(tmp_path):
    notebook = run("costs_over_years", tmp_path, budget_year=2027)
    tables = _tables(notebook)
    guide = next(rows for caption, rows in tables.items() if caption.startswith("Ny model, alle betalinger pr. kommune, 1.000 kr."))
    final = next(rows for caption, rows in tables.items() if caption.startswith("Betalinger i 2027, alle komponenter (kr.,"))
    growth = next(rows for caption, rows in tables.items() if caption.startswith("De ti kommuner med størst befolkningsvækst"))
    assert "kr., løbende priser" in next(c for c in tables if c.startswith("De ti kommuner"))
    table = compute(None, range(2019, 2031))
    total = table[(table["year"] == 2027) & (table["model"] == "new")].groupby("kommune")["amount_dkk"].sum()
    by_name = {row[0]: row for row in final}
    assert _number(by_name["Læsø"][2].removesuffix(" kr.")) == round(total["Læsø"])  # kroner
    guide_row = next(row for row in guide if row[1] == "Læsø")
    assert _number(guide_row[2]) == round(total["Læsø"] / 1000)  # thousands
    assert len(growth) == 10
