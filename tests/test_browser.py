"""A real browser: headless Chromium opens the reports from disk with the network cut off."""

import time

import pytest

from conftest import CHROMIUM, FLAGS  # noqa: F401  (the browser itself is conftest's session fixture)

MARKS = ".sapa-chart svg .mark-rect path, .sapa-chart svg .mark-line path, .sapa-chart svg .mark-symbol path"


def until(page, expression: str, timeout: float = 20_000):
    """Wait until a JavaScript expression is true, evaluated as a function (the reports' CSP forbids eval,
    which page.wait_for_function would need)."""
    deadline = time.time() + timeout / 1000
    while not page.evaluate(f"() => Boolean({expression})"):
        assert time.time() < deadline, f"timed out waiting for {expression}"
        time.sleep(0.1)


def open_offline(browser, path, viewport: dict | None = None):
    """Open a file:// page (in a window of `viewport`'s size, else Playwright's 1280x720) with every non-file
    request blocked and recorded; return page, requests, errors (and warnings: a chart library's warning is a
    defect too)."""
    context = browser.new_context(viewport=viewport) if viewport else browser.new_context()
    requests, errors = [], []

    def route(r):
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            requests.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.goto(path.as_uri())
    return page, requests, errors


@pytest.mark.parametrize("name,charts", [("kommuner/101-koebenhavn.html", 6), ("kommuner/825-laesoe.html", 6),
                                         ("national/gammel-mod-ny-model.html", 3), ("national/knaekrabatten.html", 2),
                                         ("national/udgifter-hele-landet.html", 2)])
def test_every_chart_draws_with_no_network(browser, built_reports, name, charts):
    page, requests, errors = open_offline(browser, built_reports / name)
    until(page, "document.querySelectorAll('.sapa-chart svg').length === "
                "document.querySelectorAll('.sapa-chart').length")
    assert page.locator(".sapa-chart").count() == charts
    for chart in page.locator(".sapa-chart").all():
        assert chart.locator("svg .mark-rect path, svg .mark-line path, svg .mark-symbol path, svg .mark-rule line").count() > 0
    assert requests == [] and errors == []


def test_the_knee_sliders_recompute_in_the_browser(browser, built_reports):
    page, requests, errors = open_offline(browser, built_reports / "national/knaekrabatten.html")
    page.wait_for_selector("input[name=knaek]", timeout=20_000)
    explorer = page.locator(".sapa-chart").last
    before = explorer.locator("svg .mark-symbol path").first.get_attribute("transform")
    page.locator("input[name=knaek]").fill("100000")
    page.locator("input[name=knaek]").dispatch_event("input")
    until(page, f"document.querySelector('.sapa-chart:last-of-type svg .mark-symbol path')"
                           f".getAttribute('transform') !== {before!r}", timeout=10_000)
    assert requests == [] and errors == []


def test_index_filters_by_name_code_region_and_wave(browser, built_reports):
    page, requests, errors = open_offline(browser, built_reports / "index.html")
    visible = lambda: page.locator("#kommuner tbody tr:not([hidden])").count()
    assert visible() == 3
    page.fill("#q", "825")
    assert visible() == 1 and "Læsø" in page.locator("#kommuner tbody tr:not([hidden])").inner_text()
    page.fill("#q", "")
    page.select_option("#region", "Hovedstaden")
    assert visible() == 2
    page.select_option("#wave", "4")
    assert visible() == 2
    page.select_option("#region", "")
    assert visible() == 3  # København, Læsø and Høje-Taastrup are all in wave 4
    page.click("text=Læsø")
    until(page, "document.querySelectorAll('.sapa-chart svg').length === 6")
    assert requests == [] and errors == []


BILLS = """(id) => {
  const out = {};
  (function walk(node) {
    if (node.datum && node.datum.bill !== undefined) out[node.datum.kommune] = node.datum.bill;
    (node.items || []).forEach(walk);
  })(window.sapaViews[id].scenegraph().root);
  return out;
}"""


def test_the_knee_sliders_give_compute_s_bills_to_the_krone(browser, built_reports):
    """The browser recomputes the knee with the package's own formulas: for a knee moved to 100.000 and
    a rate of 25 %, every municipality's bill equals compute() for that scenario, to the krone."""
    from sapa_model import compute
    from sapa_model.scenarios import scenario_from_data

    page, requests, errors = open_offline(browser, built_reports / "national/knaekrabatten.html")
    until(page, "window.sapaViews && Object.keys(window.sapaViews).length === 1")
    chart = page.evaluate("Object.keys(window.sapaViews)[0]")
    for name, value in (("knaek", "100000"), ("sats", "0.25")):
        page.locator(f"input[name={name}]").fill(value)
        page.locator(f"input[name={name}]").dispatch_event("input")
    until(page, f"window.sapaViews['{chart}'].signal('knaek') === 100000 && "
                           f"window.sapaViews['{chart}'].signal('sats') === 0.25", timeout=10_000)
    readouts = page.evaluate("[...document.querySelectorAll('.vega-bindings input + span')].map(e => e.textContent)")
    assert readouts == ["100.000", "25 %"]  # in Danish, not 100000 and 0.25
    shown = page.evaluate(BILLS, chart)
    year = int(page.locator("h1").first.inner_text().split()[-1])  # "Knækrabatten i 2022"
    moved = scenario_from_data({"name": "k", "parameters": {"sapa.knee.threshold": 100_000, "sapa.knee.rate": 0.25}})
    table = compute(moved, [year])
    expected = table[(table["model"] == "new") & (table["component"] == "sapa")].set_index("kommune")["amount_dkk"]
    assert len(shown) == 98
    for kommune, bill in shown.items():
        assert abs(bill - expected[kommune]) < 0.5, kommune
    assert abs(shown["København"] - compute(None, [year]).query(
        "kommune == 'København' and model == 'new' and component == 'sapa'")["amount_dkk"].iloc[0]) > 1000
    assert requests == [] and errors == []
