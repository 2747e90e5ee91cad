"""The reports as people read them, in Chromium: on a laptop, on a phone, printed on A4, and the index's search."""

import json

import re

import pytest

from test_browser import open_offline, until

A4_WIDTH = round((210 - 2 * 12) / 25.4 * 96)  # A4 less the side margins of style.css's @page, in CSS px
VIEWS = {"laptop": (1280, 800, "screen"), "phone": (390, 844, "screen"), "A4": (A4_WIDTH, 1000, "print")}

# Elements that hide part of their content behind a scrollbar or a clip, and tables, charts and pictures that
# reach past the page's right edge.
CLIPPED = """() => [...document.querySelectorAll('body *')].filter(e => {
  const s = getComputedStyle(e);
  if (s.display === 'none' || e.closest('details:not([open])')) return false;
  return ['auto', 'scroll', 'hidden'].includes(s.overflowX) && e.scrollWidth > e.clientWidth + 1;
}).map(e => `${e.tagName}.${e.className} ${e.scrollWidth}>${e.clientWidth}`)"""
OUTSIDE = """() => [...document.querySelectorAll('table, figure, svg, img')].filter(e => {
  const r = e.getBoundingClientRect();
  return r.width > 0 && r.right > document.documentElement.clientWidth + 1;
}).map(e => `${e.tagName}.${e.className} right=${Math.round(e.getBoundingClientRect().right)}`)"""
CONTROLS = """() => [...document.querySelectorAll('input, select, button, .vega-bindings, summary')]
  .filter(e => e.getBoundingClientRect().width > 0).map(e => e.tagName)"""
SUMMARY = """() => { const s = [...document.querySelectorAll('main p strong')].find(e => !e.closest('.sapa-banner'));
  return s ? s.getBoundingClientRect().top : null; }"""


def pages(folder):
    return sorted(folder.rglob("*.html"))


def view(browser, path, name):  # noqa: F811
    width, height, media = VIEWS[name]
    page, requests, errors = open_offline(browser, path)
    page.set_viewport_size({"width": width, "height": height})
    page.emulate_media(media=media)
    until(page, "document.querySelectorAll('.sapa-chart svg').length === "
                "document.querySelectorAll('.sapa-chart').length")
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return page, requests, errors


@pytest.mark.parametrize("name", list(VIEWS))
def test_every_report_shows_every_column_on_laptop_phone_and_paper(browser, built_reports, name):  # noqa: F811
    """No table column, chart or text hidden behind a scrollbar or past the edge, and the page never wider than
    the screen; on paper no control is printed."""
    problems = {}
    for path in pages(built_reports):
        page, requests, errors = view(browser, path, name)
        found = {
            "clipped": page.evaluate(CLIPPED),
            "outside": page.evaluate(OUTSIDE),
            "page wider than the screen": page.evaluate("document.documentElement.scrollWidth")
            > VIEWS[name][0],
        }
        if VIEWS[name][2] == "print":
            found["printed controls"] = page.evaluate(CONTROLS)
        found = {k: v for k, v in found.items() if v}
        if found or requests or errors:
            problems[str(path.relative_to(built_reports))] = {**found, "requests": requests, "errors": errors}
        page.context.close()
    assert len(pages(built_reports)) >= 12
    assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)


def test_the_phone_reads_tables_as_labelled_cards(browser, built_reports):  # noqa: F811
    """At 390 px the budget table is one card per year, each amount with its column's heading beside it."""
    page, _, _ = view(browser, built_reports / "kommuner/825-laesoe.html", "phone")
    cell = page.locator("table.sapa-table tbody td[data-label='I alt, ny model']").first
    label = page.evaluate("e => getComputedStyle(e, '::before').content", cell.element_handle())
    assert label == '"I alt, ny model"' and cell.bounding_box()["width"] > 300
    page.context.close()


def test_the_summary_is_above_the_fold(browser, built_reports):  # noqa: F811
    """At 1280x800 the report's answer (its first bold sentence after the banner) is on the first screen."""
    for path in pages(built_reports / "kommuner") + pages(built_reports / "national"):
        page, _, _ = view(browser, path, "laptop")
        top = page.evaluate(SUMMARY)
        if "scenarieudforsker" not in path.name:  # the explorer's page opens with its controls, not a sentence
            assert top is not None and top < 800, (path.name, top)
        page.context.close()


def test_printing_opens_the_folded_values(browser, built_reports):  # noqa: F811
    """On paper the banner's folded list of values is printed in full."""
    page, _, _ = view(browser, built_reports / "kommuner/825-laesoe.html", "A4")
    assert not page.evaluate("document.querySelector('.sapa-banner details').open")
    page.evaluate("() => dispatchEvent(new Event('beforeprint'))")
    assert page.evaluate("document.querySelector('.sapa-banner details').open")
    assert page.locator(".sapa-banner details table").bounding_box()["height"] > 100
    page.context.close()


@pytest.fixture(scope="module")
def full_index(tmp_path_factory):
    """The index page for all 98 municipalities (the reports themselves are not needed to test the search)."""
    from sapa_model.data import datasets
    from sapa_model.report.build import Outcome, index_page, kommune_jobs
    from sapa_model.scenarios import load_scenario

    outcomes = [Outcome(job) for job in kommune_jobs(list(datasets.municipalities().index))]
    path = tmp_path_factory.mktemp("index") / "index.html"
    path.write_text(index_page(outcomes, load_scenario(None), [], []), encoding="utf-8")
    return path


SPELLINGS = [  # what a Dane types -> the municipalities the index must show
    ("Århus", ["Aarhus"]),
    ("aarhus kommune", ["Aarhus"]),
    ("Koebenhavn", ["København"]),
    ("Københavns Kommune", ["København"]),
    ("Copenhagen", ["København"]),
    ("Aeroe", ["Ærø"]),
    ("aero", ["Ærø"]),
    ("0492", ["Ærø"]),
    ("492", ["Ærø"]),
    ("Høje Taastrup", ["Høje-Taastrup"]),
    ("hoeje-tåstrup", ["Høje-Taastrup"]),
    ("Laesoe", ["Læsø"]),
    ("  LÆSØ  ", ["Læsø"]),
    ("Brondby", ["Brøndby"]),
    ("Bornholms Regionskommune", ["Bornholm"]),
]
BEGINNINGS = [("Ringkobing", ["Ringkøbing-Skjern"]), ("frederiks", ["Frederiksberg", "Frederikshavn", "Frederikssund"])]


def shown(page) -> list[str]:
    return page.eval_on_selector_all("#kommuner tbody tr:not([hidden]) td:first-child", "cells => "
                                     "cells.map(c => c.textContent.trim())")


def test_the_index_finds_every_spelling_the_package_accepts(browser, full_index):  # noqa: F811
    from sapa_model.data.names import resolve_code

    page, requests, errors = open_offline(browser, full_index)
    assert len(shown(page)) == 98 and page.inner_text("#count") == "98 kommuner vist"
    for typed, expected in SPELLINGS:
        page.fill("#q", typed)
        assert shown(page) == expected, typed
        assert resolve_code(typed.strip()) is not None  # the package accepts the same spelling
    assert page.inner_text("#count") == "1 kommune vist" and page.is_hidden("#empty")
    for typed, expected in BEGINNINGS:  # while typing, the beginning of a name is enough
        page.fill("#q", typed)
        assert sorted(shown(page)) == expected, typed
    page.fill("#q", "Region Hovedstaden")
    assert len(shown(page)) == 29 and "København" in shown(page) and "Aarhus" not in shown(page)
    page.fill("#q", "Nordjylland")
    assert len(shown(page)) == 11 and "Læsø" in shown(page)
    page.fill("#q", "bølge 4")
    assert len(shown(page)) == 17 and "Læsø" in shown(page)
    page.fill("#q", "pilot")
    assert len(shown(page)) == 7
    page.fill("#q", "Atlantis")
    assert shown(page) == [] and page.is_visible("#empty") and page.inner_text("#count") == "0 kommuner vist"
    assert page.get_attribute("#count", "aria-live") == "polite" and page.get_attribute("#count", "role") == "status"
    assert requests == [] and errors == []
    page.context.close()


@pytest.mark.parametrize("typed,expected", [("Århus", ["Aarhus"]), ("0101", ["København"]),
                                            ("Høje%20Taastrup", ["Høje-Taastrup"])])
def test_a_link_opens_the_index_filtered(browser, full_index, typed, expected):  # noqa: F811
    page = browser.new_page()
    page.goto(f"{full_index.as_uri()}?q={typed}")
    assert shown(page) == expected and page.input_value("#q") == typed.replace("%20", " ")
    page.close()


def test_every_national_report_has_a_line_in_the_index(built_reports):
    from sapa_model.report.build import national_jobs

    index = (built_reports / "index.html").read_text(encoding="utf-8")
    for job in national_jobs():
        assert job.about and f'{job.title}</a> <span>– {job.about}</span>' in index


def test_no_report_text_reads_badly(built_reports):
    """Doubled full stops after 'kr.' and the other slips the reports once had."""
    for path in pages(built_reports):
        text = path.read_text(encoding="utf-8")
        for slip in ("kr..", "med i pilot", "Mit scenarie", "make explorer", "mellem 0 kr. og 0 kr.", "For 0 kommuner"):
            assert slip not in text, (path.name, slip)
        assert not re.search(r"\d 1\.000 kr\.", text), path.name  # '246.772 1.000 kr.' reads as two numbers


@pytest.fixture(scope="module")
def shared_site(tmp_path_factory):
    """A site built with --shared-assets (one municipality and the national reports)."""
    from reports_fixture import sapa

    out = tmp_path_factory.mktemp("site")
    result = sapa("reports", "--out", str(out), "--quiet", "--national", "--kommune", "Læsø", "--shared-assets")
    assert result.returncode == 0, result.stderr
    return out


def test_the_shared_assets_site_draws_every_chart_offline(browser, shared_site):  # noqa: F811
    from sapa_model.report import page as report_page

    assert sorted(str(p.relative_to(shared_site)) for p in (shared_site / "assets").iterdir()) == sorted(
        report_page.assets())
    for path in pages(shared_site):
        text = path.read_text(encoding="utf-8")
        assert "vegaEmbed=" not in text and len(text) < 300_000  # the library is not inlined
        page, requests, errors = view(browser, path, "laptop")
        charts = page.locator(".sapa-chart").count()
        assert page.locator(".sapa-chart svg .mark-rect path, .sapa-chart svg .mark-line path, "
                            ".sapa-chart svg .mark-symbol path").count() >= charts
        assert page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth") == "1180px"  # the style
        assert requests == [] and errors == [], path.name
        page.context.close()
