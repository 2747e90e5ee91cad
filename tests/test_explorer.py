"""The live explorer: widgets driven from code give compute()'s figures; save/load round trip; errors."""

import datetime
import os

import pytest
from nbconvert import HTMLExporter

from conftest import ROOT
from sapa_model import compute, load_scenario
from sapa_model.views import fmt
from sapa_model.analysis.compare import national
from sapa_model.app.explorer import TABS, Explorer
from sapa_model.views.tables import lines_table
from sapa_model.report.page import render

from notebook_runner import in_a_worker

SCENARIOS = ROOT / "scenarios"
YEARS = range(2019, 2031)


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """The explorer's scenarios folder, a fresh one for each test."""
    path = tmp_path / "scenarios"
    path.mkdir()
    monkeypatch.setenv("SAPA_SCENARIO_DIR", str(path))
    return path


@pytest.fixture
def explorer(folder):
    return Explorer()


def _national_total(table, year):
    """The national new-model total the explorer shows: the sum of the lines, each rounded to whole kroner."""
    wide = national(table).pivot_table(index="year", columns=["model", "component"], values="amount_dkk")
    return lines_table(wide).loc[year, "I alt, ny model"]


def _same(table, other):
    return table["amount_dkk"].to_numpy().tolist() == other["amount_dkk"].to_numpy().tolist()


def test_starts_at_the_baseline(explorer):
    assert _same(explorer.table, compute(None, YEARS))
    assert explorer.overrides() == {}
    assert "Ingen kommune betaler anderledes" in explorer.changes.value


def test_moving_the_knee_gives_the_scenario_figures(explorer):
    explorer.sliders["sapa.knee.threshold"].value = 100_000
    expected = compute(SCENARIOS / "knee_100000.yaml", YEARS)
    assert _same(explorer.table, expected)
    assert "København" in explorer.changes.value  # the largest gainer is listed: the first tab, drawn at once
    assert "kommuner betaler mere" in explorer.summary.value and "mest mindre: " in explorer.summary.value
    assert explorer.totals.value == ""  # the other tabs are drawn when opened
    explorer.tabs.selected_index = TABS.index("Hele landet")
    assert fmt.kr(_national_total(expected, 2022)) in explorer.totals.value
    assert "ændrer sig ikke, når knækket flyttes" in explorer.totals.value


def test_a_delay_moves_the_old_model_only(explorer):
    explorer.delays["ky"].value = 12
    assert _same(explorer.table, compute(SCENARIOS / "ky_delayed_12m.yaml", YEARS))


def test_entered_prices_are_used(explorer):
    explorer.method.value = "given"
    explorer.prices[2021].value = 20.0
    assert explorer.table.attrs["sapa_price"][2021] == 20.0
    assert explorer.overrides()["sapa.price.method"] == "given"


def test_selection_and_years_change_the_outputs(explorer):
    explorer.tabs.selected_index = TABS.index("Valgte kommuner")
    explorer.selection.value = ("Odense",)
    assert "Odense" in explorer.selected.value and "Aarhus" not in explorer.selected.value
    explorer.region.value = "Nordjylland"
    assert "Læsø" in explorer.selected.value and "Odense" not in explorer.selected.value
    explorer.years.value = (2020, 2035)
    assert sorted(explorer.table["year"].unique()) == list(range(2020, 2036))


def test_a_link_carries_the_settings_and_reopens_them(explorer):
    explorer.sliders["sapa.knee.rate"].value = 0.25
    explorer.delays["ky"].value = 12
    explorer.years.value = (2020, 2032)
    explorer.region.value = "Nordjylland"
    explorer.selection.value = ("Odense", "Ærø")
    explorer.name.value = "Team"
    link = explorer.link()
    again = Explorer(link=link)
    assert again.overrides() == explorer.overrides() and again.years.value == (2020, 2032)
    assert again.region.value == "Nordjylland" and again.selection.value == ("Odense", "Ærø")
    assert again.name.value == "Team" and _same(again.table, explorer.table) and again.status.value == ""
    assert f'href="?{link.replace("&", "&amp;")}"' in explorer.share_link.value


@pytest.mark.parametrize("link,message", [
    ("sapa.knee.rate=%3Cb%3E1", "skal være et tal"),
    ("sapa.knee.rate=1e9", "skal være et tal"),
    ("os.system=1", "ukendt indstilling"),
    ("aar=1990-2100", "uden for"),
    ("sapa.knee.rate=0.5&sapa.knee.rate=0.6", "flere gange"),
    ("navn=" + "x" * 5000, "over 4000 tegn"),
    ("sapa.knee.threshold=-5", "skal være mellem 50000 og 400000"),  # a control would only clamp it
])
def test_a_bad_link_is_refused_with_a_message_and_the_baseline_shown(folder, link, message):
    explorer = Explorer(link=link)
    assert "Linket kunne ikke læses" in explorer.status.value
    assert message in explorer.status.value and "<b>" not in explorer.status.value
    assert explorer.table is not None  # the explorer stays usable


def _upload(explorer, name, content: bytes):
    explorer.upload.value = ({"name": name, "type": "text/csv", "size": len(content), "content": memoryview(content),
                              "last_modified": datetime.datetime(2027, 1, 1, tzinfo=datetime.UTC)},)


def test_save_then_load_reproduces_the_figures(explorer, folder):
    explorer.sliders["sapa.knee.rate"].value = 0.75
    explorer.delays["udk"].value = 6
    explorer.share.value = 4.5
    explorer.projection.value = "trend"
    explorer.name.value = "Min test"
    explorer.file_name.value = "mit scenarie"
    explorer.save_button.click()
    path = folder / "mit-scenarie.yaml"
    assert "scenarios/mit-scenarie.yaml" in explorer.status.value or f"{folder.name}/mit-scenarie.yaml" in explorer.status.value
    loaded = load_scenario(path)
    assert loaded.name == "Min test"
    assert set(loaded.changed()) == {"sapa.knee.rate", "old_model.events.udk.delay", "sapa.infrastructure_share",
                                     "projection.method"}
    assert _same(compute(loaded, YEARS), explorer.table)
    again = Explorer()
    again.saved.value = "mit-scenarie.yaml"
    again.load_button.click()
    assert again.sliders["sapa.knee.rate"].value == 0.75 and again.delays["udk"].value == 6
    assert _same(again.table, explorer.table)


def test_saving_stays_in_the_scenarios_folder_and_never_overwrites_unasked(explorer, folder, tmp_path):
    explorer.name.value = "__import__('os').system('touch /tmp/owned')"
    explorer.file_name.value = "../../../some/dir/sitecustomize.py"
    explorer.save_button.click()
    written = sorted(p.name for p in folder.iterdir())
    assert written == ["sitecustomize-py.yaml"]  # in the folder, as YAML: a name is data, never code
    assert not (tmp_path / "some").exists() and not list(tmp_path.parent.rglob("sitecustomize.py"))
    first = (folder / "sitecustomize-py.yaml").read_text()
    explorer.sliders["sapa.knee.rate"].value = 0.25
    explorer.save_button.click()
    assert "findes allerede" in explorer.status.value and (folder / "sitecustomize-py.yaml").read_text() == first
    explorer.overwrite.value = True
    explorer.save_button.click()
    assert (folder / "sitecustomize-py.yaml").read_text() != first
    for bad in ("", "...", "/"):
        explorer.file_name.value = bad
        explorer.save_button.click()
        assert "no usable file name" in explorer.status.value


def test_loading_reads_only_the_scenarios_folder_and_never_echoes_a_file(explorer, folder, tmp_path):
    secret = tmp_path / "secret.yaml"
    secret.write_text("password: hunter2-very-secret\n  bad: [\n")
    with pytest.raises(Exception, match="not a file in") as caught:
        explorer.load_saved("../secret.yaml")
    assert "hunter2" not in str(caught.value)
    (folder / "broken.yaml").write_text("name: x\npassword: hunter2-very-secret\n  bad: [\n")
    explorer.saved.options = explorer._files("", (".yaml",))
    explorer.saved.value = "broken.yaml"
    explorer.load_button.click()
    assert "not valid YAML at line" in explorer.status.value and "hunter2" not in explorer.status.value


def test_load_button_fills_the_controls(explorer, folder):
    (folder / "knee.yaml").write_text((SCENARIOS / "knee_rate_075.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    explorer.saved.options = explorer._files("", (".yaml",))
    explorer.saved.value = "knee.yaml"
    explorer.load_button.click()
    assert explorer.sliders["sapa.knee.rate"].value == 0.75 and explorer.name.value == "Knæksats 75 %"


def test_a_loaded_scenarios_other_settings_survive_a_save(explorer, folder):
    (folder / "bølge.yaml").write_text("name: Bølge 6 sent\ndelays: {ky: {'6': 6}}\nparameters: {vat.basis: included}\n",
                                       encoding="utf-8")
    explorer.load_saved("bølge.yaml")
    explorer.file_name.value = "igen"
    explorer.save_button.click()
    again = load_scenario(folder / "igen.yaml")
    assert again.params.value("old_model.events.ky.wave_delay.6") == 6 and again.params.value("vat.basis") == "included"


def test_an_invalid_forecast_says_why_and_leaves_the_explorer_usable(explorer):
    before = explorer.table
    _upload(explorer, "prognose.csv", b"kommune;year;population\nArhus;2027;380000\nAarhus;2020;5\n")
    assert "did you mean &#x27;Aarhus&#x27;" in explorer.status.value and "observed years cannot be replaced" in explorer.status.value
    assert explorer.table is before and explorer.forecast.value == ""  # the last valid figures stay
    explorer.sliders["sapa.knee.threshold"].value = 100_000
    assert explorer.status.value == "" and _same(explorer.table, compute(SCENARIOS / "knee_100000.yaml", YEARS))


@pytest.mark.parametrize("name,content", [
    ("prognose.csv", b"kommune,year,population\nAarhus,2027,400000\n"),
    ("excel.csv", "\ufeffkommune;år;indbyggere\nAarhus;2027;400.000,0\n".encode()),  # Danish Excel: BOM, comma
    ("pandas.csv", "kommune,year,population\nAarhus,2027,400000.0\nLæsø,2028,1900.0\n".encode()),  # as pandas writes
])
def test_an_uploaded_forecast_changes_the_municipality(explorer, folder, name, content):
    _upload(explorer, name, content)
    assert (folder / "prognoser" / name).is_file() and explorer.forecast.value == f"prognoser/{name}"
    rows = explorer.table[(explorer.table["kommune"] == "Aarhus") & (explorer.table["year"] == 2030)]
    assert (rows["population"] == 400_000).all() and explorer.status.value == ""


def test_exported_without_a_kernel_it_shows_the_baseline(tmp_path):
    notebook, = in_a_worker((ROOT / "notebooks/explorer.ipynb", {}, tmp_path / "explorer.ipynb"))
    baseline = compute(None, YEARS)
    total = _national_total(baseline, 2022)
    for page in (render(notebook, "explorer"), HTMLExporter(template_name="lab").from_notebook_node(notebook)[0]):
        assert "Statisk visning" in page and fmt.kr(total) in page
        assert "widget-view+json" not in page


@pytest.fixture(scope="module")
def team_site(tmp_path_factory):
    """`sapa explore` as a team would use it (room for a few visitors), its scenarios in a fresh folder."""
    from explorer_page import serve

    env = {**os.environ, "SAPA_SCENARIO_DIR": str(tmp_path_factory.mktemp("scenarios"))}
    with serve("--max-kernels", "4", "--idle-minutes", "10", env=env) as (server, port):
        yield port


NAMELESS = """() => [...document.querySelectorAll('input:not([type=file]), select, textarea, button, [role=slider]')]
  .filter(e => { const labelled = e.getAttribute('aria-labelledby');
    const name = e.getAttribute('aria-label') || (e.labels && [...e.labels].map(l => l.textContent).join(''))
      || (labelled && labelled.split(' ').map(i => (document.getElementById(i) || {}).textContent).join(''))
      || e.textContent || e.title;
    return !(name && name.trim()); }).map(e => e.outerHTML.slice(0, 120))"""
SUMMARY_TEXT = "document.querySelector('.sapa-summary').textContent"


def test_the_served_explorer_shows_a_slider_s_effect_on_the_first_screen(browser, team_site):
    """At 1280x800 the results sit beside the controls: moving the knee with the keyboard repaints the summary on
    the first screen (how fast is measured by `make benchmark`). The page is in Danish, names every control,
    asks nothing of another site, logs no error, and on a phone puts the results first without scrolling
    sideways."""
    from explorer_page import move_knee, open_page
    from test_browser import until

    page, outside, errors = open_page(browser, team_site)
    assert page.evaluate("document.documentElement.lang") == "da" and page.title() == "SAPA-scenarieudforsker"
    assert page.evaluate("document.querySelector('.sapa-summary').getBoundingClientRect().bottom") < 800
    assert page.evaluate("document.querySelector('.sapa-explorer-results').getBoundingClientRect().left") > 400
    assert "ingen kommune betaler anderledes" in page.evaluate(SUMMARY_TEXT)
    move_knee(page)
    until(page, f"!{SUMMARY_TEXT}.includes('ingen kommune')", timeout=60_000)
    assert "kommuner betaler mere" in page.evaluate(SUMMARY_TEXT)
    assert page.evaluate(NAMELESS) == []
    names = page.evaluate("[...document.querySelectorAll('[role=slider]')].map(h => h.getAttribute('aria-label'))")
    assert "SAPA: knækgrænse (indbyggere)" in names and "KSD erstatter KMD Dagpenge (mdr. forsinket)" in names
    page.click(".lm-TabBar-tab:has-text(\"Hele landet\")")
    assert "ændrer sig ikke, når knækket flyttes" in page.inner_text(".sapa-explorer-results")
    page.set_viewport_size({"width": 390, "height": 844})
    until(page, "document.documentElement.scrollWidth <= 390", timeout=10_000)
    assert page.evaluate("document.querySelector('.sapa-explorer-results').getBoundingClientRect().top < "
                         "document.querySelector('.sapa-explorer-controls').getBoundingClientRect().top")
    tracks = page.evaluate("[...document.querySelectorAll('.slider-container')].filter(t => t.offsetParent)"
                           ".map(t => t.getBoundingClientRect().width)")
    assert tracks and min(tracks) > 150
    assert outside == [] and errors == []
    page.context.close()


def test_a_link_reopens_the_scenario_and_a_hostile_link_stays_text(browser, team_site):
    """"Link til dette scenarie" carries the settings; opened, it shows the same figures. A link is typed text: a
    name with markup is shown as text, and a setting that is not one is refused with a message."""
    from explorer_page import open_page

    page, outside, errors = open_page(browser, team_site, "sapa.knee.threshold=100000&kommuner=101,825"
                                      "&navn=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E")
    link = page.get_attribute("text=Link til dette scenarie", "href")
    assert link.startswith("?") and "sapa.knee.threshold=100000" in link and "kommuner=101%2C825" in link
    assert "kommuner betaler mere" in page.evaluate("document.querySelector('.sapa-summary').textContent")
    assert page.locator("img[src=x]").count() == 0 and "<img src=x" in page.inner_text("body")
    assert outside == [] and errors == []
    page.context.close()
    page, outside, errors = open_page(browser, team_site, "sapa.knee.rate=%3Cscript%3Ex%3C/script%3E")
    assert "Linket kunne ikke læses" in page.inner_text(".sapa-explorer-results")
    assert "<script>x</script>" in page.inner_text(".sapa-explorer-results") and errors == []
    page.context.close()


def test_an_upload_never_replaces_a_forecast_of_the_same_name(explorer, folder):
    (folder / "prognoser").mkdir()
    mine = folder / "prognoser" / "prognose.csv"
    mine.write_text("kommune,year,population\nAarhus,2027,400000\n")
    (folder / "saved.yaml").write_text("name: Min prognose\nprojection: {forecast_file: prognoser/prognose.csv}\n")
    before = compute(load_scenario(folder / "saved.yaml"), YEARS)
    _upload(explorer, "prognose.csv", b"kommune,year,population\nAarhus,2027,500000\n")
    assert mine.read_text() == "kommune,year,population\nAarhus,2027,400000\n"  # the saved scenario's figures stay
    assert _same(compute(load_scenario(folder / "saved.yaml"), YEARS), before)
    assert explorer.forecast.value == "prognoser/prognose-2.csv" and "prognose-2.csv" in explorer.status.value
    rows = explorer.table[(explorer.table["kommune"] == "Aarhus") & (explorer.table["year"] == 2030)]
    assert (rows["population"] == 500_000).all()  # the upload is used, under its new name
    _upload(explorer, "prognose.csv", b"kommune,year,population\nAarhus,2027,400000\n")  # the same file again
    assert explorer.forecast.value == "prognoser/prognose.csv"
    assert sorted(p.name for p in (folder / "prognoser").iterdir()) == ["prognose-2.csv", "prognose.csv"]


def test_a_bad_upload_is_not_kept(explorer, folder):
    _upload(explorer, "forkert.csv", b"kommune,year,population\nArhus,2027,400000\n")
    assert "did you mean" in explorer.status.value and explorer.forecast.value == ""
    assert not (folder / "prognoser").exists() or not list((folder / "prognoser").iterdir())


def test_a_scenario_loads_with_the_forecast_beside_it_and_keeps_it_when_saved_again(explorer, folder):
    (folder / "prognoser").mkdir()
    (folder / "prognoser" / "egen.csv").write_text("kommune,year,population\nAarhus,2027,999000\n")  # same name
    (folder / "egen.csv").write_text("kommune,year,population\nAarhus,2027,420000\n")  # the scenario's own
    (folder / "med-prognose.yaml").write_text("name: Med prognose\nprojection: {forecast_file: egen.csv}\n")
    expected = compute(load_scenario(folder / "med-prognose.yaml"), YEARS)
    explorer.load_saved("med-prognose.yaml")
    assert explorer.forecast.value == "egen.csv" and _same(explorer.table, expected)
    explorer.file_name.value = "igen"
    explorer.save_button.click()
    saved = (folder / "igen.yaml").read_text()
    assert "forecast_file: egen.csv" in saved and str(folder) not in saved  # relative to the scenario
    assert _same(compute(load_scenario(folder / "igen.yaml"), YEARS), expected)


@pytest.mark.parametrize("key", ["projection: {forecast_file: ../outside.csv}", "calibration_file: ../outside.csv",
                                 "prices_file: ../outside.csv"])
def test_a_scenario_in_the_folder_cannot_make_the_explorer_read_a_file_outside_it(explorer, folder, key):
    outside = folder.parent / "outside.csv"
    outside.write_text("kommune;year;population;component;amount_dkk\nhemmelig-række-1;2027;1;sapa;1\n")
    (folder / "ud.yaml").write_text(f"name: Ud\n{key}\n")
    explorer.saved.options = explorer._files("", (".yaml",))
    explorer.saved.value = "ud.yaml"
    explorer.load_button.click()
    assert "outside the scenarios folder" in explorer.status.value
    assert "hemmelig" not in explorer.status.value and explorer.name.value != "Ud"


def test_an_xlsx_bomb_uploaded_is_refused_with_a_message_and_the_explorer_keeps_working(explorer, folder):
    import io
    import zipfile

    import openpyxl

    book, packed = openpyxl.Workbook(), io.BytesIO()
    book.active.append(["kommune", "year", "population"])
    book.save(packed)
    with zipfile.ZipFile(io.BytesIO(packed.getvalue())) as original:
        parts = {i.filename: original.read(i) for i in original.infolist()}
    parts["xl/worksheets/sheet1.xml"] = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                                         b'<sheetData><row r="1">' + b"<c/>" * 1_000_000 + b"</row></sheetData></worksheet>")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    before = explorer.table
    _upload(explorer, "bombe.xlsx", bomb.getvalue())
    assert "has more than 500.000 cells" in explorer.status.value and explorer.table is before
    assert not list((folder / "prognoser").glob("*.xlsx")) and explorer.forecast.value == ""
    explorer.sliders["sapa.knee.threshold"].value = 100_000
    assert explorer.status.value == "" and _same(explorer.table, compute(SCENARIOS / "knee_100000.yaml", YEARS))


def test_a_link_names_the_forecast_by_its_place_in_the_folder_never_by_a_path(explorer, folder):
    _upload(explorer, "egen.csv", b"kommune,year,population\nAarhus,2027,400000\n")
    link = explorer.link()
    assert "prognose=prognoser%2Fegen.csv" in link and str(folder.parent).replace("/", "%2F") not in link
    again = Explorer(link=link)
    assert again.forecast.value == "prognoser/egen.csv" and _same(again.table, explorer.table)
    for elsewhere in ("prognose=%2Fetc%2Fpasswd", "prognose=..%2Fx.csv", "prognose=prognoser%2Fmissing.csv"):
        refused = Explorer(link=elsewhere)
        assert "ukendt indstilling" in refused.status.value and refused.forecast.value == ""
