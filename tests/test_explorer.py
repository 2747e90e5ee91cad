"""The live explorer: widgets driven from code give compute()'s figures; save/load round trip; errors."""

import socket
import subprocess
import sys
import time

import pytest
from nbconvert import HTMLExporter

from conftest import ROOT
from sapa_model import compute, load_scenario
from sapa_model.views import fmt
from sapa_model.views.analysis import lines_table, national
from sapa_model.views.explorer import Explorer
from sapa_model.report.kernels import WarmKernel
from sapa_model.report.page import render

SCENARIOS = ROOT / "scenarios"
YEARS = range(2019, 2031)


@pytest.fixture
def explorer():
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
    assert fmt.kr(_national_total(expected, 2022)) in explorer.totals.value
    assert "København" in explorer.changes.value  # the largest gainer is listed


def test_a_delay_moves_the_old_model_only(explorer):
    explorer.delays["ky"].value = 12
    assert _same(explorer.table, compute(SCENARIOS / "ky_delayed_12m.yaml", YEARS))


def test_entered_prices_are_used(explorer):
    explorer.method.value = "given"
    explorer.prices[2021].value = 20.0
    assert explorer.table.attrs["sapa_price"][2021] == 20.0
    assert explorer.overrides()["sapa.price.method"] == "given"


def test_selection_and_years_change_the_outputs(explorer):
    explorer.selection.value = ("Odense",)
    assert "Odense" in explorer.selected.value and "Aarhus" not in explorer.selected.value
    explorer.region.value = "Nordjylland"
    assert "Læsø" in explorer.selected.value and "Odense" not in explorer.selected.value
    explorer.years.value = (2020, 2035)
    assert sorted(explorer.table["year"].unique()) == list(range(2020, 2036))


def test_save_then_load_reproduces_the_figures(explorer, tmp_path):
    explorer.sliders["sapa.knee.rate"].value = 0.75
    explorer.delays["udk"].value = 6
    explorer.share.value = 4.5
    explorer.projection.value = "trend"
    explorer.name.value = "Min test"
    path = explorer.save(tmp_path / "mine.yaml")
    loaded = load_scenario(path)
    assert loaded.name == "Min test"
    assert set(loaded.changed()) == {"sapa.knee.rate", "old_model.events.udk.delay", "sapa.infrastructure_share",
                                     "projection.method"}
    assert _same(compute(loaded, YEARS), explorer.table)
    again = Explorer(path)
    assert again.sliders["sapa.knee.rate"].value == 0.75 and again.delays["udk"].value == 6
    assert _same(again.table, explorer.table)


def test_load_button_fills_the_controls(explorer):
    explorer.path.value = str(SCENARIOS / "knee_rate_075.yaml")
    explorer.load_button.click()
    assert explorer.sliders["sapa.knee.rate"].value == 0.75 and explorer.name.value == "Knæksats 75 %"


def test_an_invalid_forecast_says_why_and_leaves_the_explorer_usable(explorer, tmp_path):
    before = explorer.table
    bad = tmp_path / "forecast.csv"
    bad.write_text("kommune;year;population\nArhus;2027;380000\nAarhus;2020;5\n", encoding="utf-8")
    explorer.forecast.value = str(bad)
    explorer.forecast_button.click()
    assert "did you mean &#x27;Aarhus&#x27;" in explorer.status.value and "observed years cannot be replaced" in explorer.status.value
    assert explorer.table is before  # the last valid figures stay
    explorer.forecast.value = ""
    explorer.sliders["sapa.knee.threshold"].value = 100_000
    assert explorer.status.value == "" and _same(explorer.table, compute(SCENARIOS / "knee_100000.yaml", YEARS))


def test_a_valid_forecast_changes_the_municipality(explorer, tmp_path):
    own = tmp_path / "forecast.csv"
    own.write_text("kommune,year,population\nAarhus,2027,400000\n", encoding="utf-8")
    explorer.forecast.value = str(own)
    explorer.forecast_button.click()
    rows = explorer.table[(explorer.table["kommune"] == "Aarhus") & (explorer.table["year"] == 2030)]
    assert (rows["population"] == 400_000).all() and explorer.status.value == ""


def test_exported_without_a_kernel_it_shows_the_baseline(tmp_path):
    kernel = WarmKernel(ROOT, 120)
    try:
        notebook = kernel.execute(ROOT / "notebooks/explorer.ipynb", {})
    finally:
        kernel.stop()
    baseline = compute(None, YEARS)
    total = _national_total(baseline, 2022)
    for page in (render(notebook, "explorer"), HTMLExporter(template_name="lab").from_notebook_node(notebook)[0]):
        assert "Statisk visning" in page and fmt.kr(total) in page
        assert "widget-view+json" not in page


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_voila_serves_the_explorer_with_no_network():
    from playwright.sync_api import sync_playwright

    from test_browser import CHROMIUM, FLAGS

    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "voila", "notebooks/explorer.ipynb", "--no-browser",
                               f"--port={port}", "--Voila.ip=127.0.0.1"], cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            context = browser.new_context()
            outside, errors = [], []

            def route(r):
                local = r.request.url.startswith((f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"))
                (r.continue_() if local else (outside.append(r.request.url), r.abort()))

            context.route("**/*", route)
            page = context.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"http://127.0.0.1:{port}/", timeout=60_000)
            page.wait_for_selector("text=Hele landet pr. år", timeout=90_000)
            assert page.locator("text=SAPA: knækgrænse").count() == 1 and errors == []
            # Only Voilà's optional icon stylesheets are asked for outside; the app works without them.
            assert all("fontawesome" in url for url in outside), outside
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
