"""The reports as people read them, in Chromium: on a laptop, on a phone, printed on A4, and the index's search."""

import io
import json
import re

import pytest
from pypdf import PdfReader

from test_browser import open_offline, until

A4_WIDTH = round((210 - 2 * 11) / 25.4 * 96)  # A4 less the side margins of style.css's @page, in CSS px
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
  .filter(e => e.getBoundingClientRect().width > 0 && !e.closest('.sapa-banner')).map(e => e.tagName)"""
# (the banner's summary is its one line of text: printed, without its marker)
SUMMARY = """() => { const s = document.querySelector('.sapa-key dd');
  return s ? s.getBoundingClientRect().bottom : null; }"""


def pages(folder):
    return sorted(folder.rglob("*.html"))


def view(browser, path, name):  # noqa: F811
    width, height, media = VIEWS[name]
    page, requests, errors = open_offline(browser, path, {"width": width, "height": height})  # charts drawn for it
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
    """At 390 px the budget table is one card per year, each amount with its column's heading beside it; a table
    of three amounts a row (the budget years' uncertainty) stays a table with its headings."""
    page, _, _ = view(browser, built_reports / "kommuner/825-laesoe.html", "phone")
    cell = page.locator("table.sapa-table tbody td[data-label='I alt, ny model']").first
    label = page.evaluate("e => getComputedStyle(e, '::before').content", cell.element_handle())
    assert label == '"I alt, ny model"' and cell.bounding_box()["width"] > 300
    narrow = page.locator("table.sapa-table", has_text="hele betalingen i budgetårene")
    assert narrow.locator("thead th").count() == 4 and narrow.locator("thead").is_visible()
    first_row = narrow.locator("tbody tr").first.locator("td").all()
    assert len(first_row) == 4 and len({round(c.bounding_box()["y"]) for c in first_row}) == 1  # side by side
    page.context.close()


NOTES = "[...document.querySelectorAll('.sapa-note')].filter(n => n.checkVisibility()).map(n => n.textContent)"


@pytest.mark.parametrize("name", list(VIEWS))
def test_a_table_s_long_notes_fold_on_a_phone_only(browser, built_reports, name):  # noqa: F811
    """The budget table's notes (rounding, price basis) are shown on a laptop and on paper without a fold to open;
    on a phone they are one line ("Om beløbene") that opens to the same notes."""
    page, _, _ = view(browser, built_reports / "kommuner/825-laesoe.html", name)
    if VIEWS[name][2] == "print":
        page.evaluate("() => dispatchEvent(new Event('beforeprint'))")
    fold = page.locator("details.sapa-phone-fold", has_text="Beløbene er i løbende priser").first
    summary = fold.locator("summary")
    rounding = "Hvert beløb er afrundet for sig til hele kroner"
    if name == "phone":
        assert fold.get_attribute("open") is None and summary.text_content() == "Om beløbene"
        assert summary.is_visible() and summary.bounding_box()["height"] >= 40
        assert not any(rounding in n for n in page.evaluate(NOTES))
        summary.click()
    else:
        assert not summary.is_visible()
    assert any(rounding in n for n in page.evaluate(NOTES))
    page.context.close()


def test_the_summary_is_above_the_fold(browser, built_reports):  # noqa: F811
    """At 1280x800 the report's answer (its key figures) is on the first screen."""
    for path in pages(built_reports / "kommuner") + pages(built_reports / "national"):
        page, _, _ = view(browser, path, "laptop")
        top = page.evaluate(SUMMARY)
        if "scenarieudforsker" not in path.name:  # the explorer's page opens with its controls, not a sentence
            assert top is not None and top < 800, (path.name, top)
        page.context.close()


def test_printing_opens_the_folded_tables_and_moves_the_values_to_an_appendix(browser, built_reports):  # noqa: F811
    """On paper every folded table is printed; the banner's list of values is not printed at the top but as an
    appendix at the end (on a screen the appendix is not shown)."""
    page, _, _ = view(browser, built_reports / "kommuner/825-laesoe.html", "A4")
    page.emulate_media(media="screen")
    assert not page.evaluate("document.querySelector('.sapa-banner details').open")
    assert not page.locator(".sapa-appendix").is_visible()
    page.emulate_media(media="print")
    page.evaluate("() => dispatchEvent(new Event('beforeprint'))")
    assert page.evaluate("[...document.querySelectorAll('details')].every(d => d.open)")
    assert page.evaluate("document.querySelector('.sapa-banner details table').getBoundingClientRect().height") == 0
    appendix = page.locator(".sapa-appendix")
    assert appendix.is_visible() and appendix.locator("li").count() >= 20
    last = page.evaluate("[...document.querySelectorAll('main h2')].filter(h => h.offsetParent).pop().textContent")
    assert last.startswith("Bilag")
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
    ("Kgs. Lyngby", ["Lyngby-Taarbæk"]),
    ("KBH", ["København"]),
    ("Kbh.", ["København"]),
    ("Elsinore", ["Helsingør"]),
    ("Sonderburg", ["Sønderborg"]),
]
BEGINNINGS = [("Ringkobing", ["Ringkøbing-Skjern"]), ("frederiks", ["Frederiksberg", "Frederikshavn", "Frederikssund"])]


def shown(page) -> list[str]:
    return page.eval_on_selector_all("#kommuner tbody tr:not([hidden]) td:first-child", "cells => "
                                     "cells.map(c => c.textContent.trim())")


def shown_after(page, typed: str) -> list[str]:
    page.fill("#q", typed)
    return shown(page)


def test_the_index_finds_every_spelling_the_package_accepts(browser, full_index):  # noqa: F811
    from sapa_model.data import datasets
    from sapa_model.data.names import resolve_code

    waves = datasets.municipalities()["wave"].value_counts()
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
    page.fill("#q", "Bolge 3")  # a wave without ø
    assert len(shown(page)) == waves["3"] and shown(page) == shown_after(page, "bølge 3")
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


# -- On paper: the answer on page 1, at most 3 pages, nothing split, nothing that needs a screen -----------------

PRINTABLE_HEIGHT = round((297 - 13 - 12) / 25.4 * 96)  # A4 less the top and bottom margins of style.css, CSS px


def printed(browser, path):  # noqa: F811
    """The report as Chromium prints it on A4 (Page.printToPDF with the page's own @page size and margins): the
    page (opened at 1280 px, as a reader prints from a laptop) and the text of each printed page."""
    page, requests, errors = view(browser, path, "laptop")
    assert requests == [] and errors == [], (path.name, requests, errors)
    page.emulate_media(media="print")  # (page.pdf prints with the emulated media)
    texts = [p.extract_text() for p in PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True))).pages]
    return page, texts


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def printed_reports(browser, built_reports):  # noqa: F811
    """Every report printed once: path -> (headings, chart texts, printed pages' text)."""
    result = {}
    for path in pages(built_reports):
        if path.name == "index.html":
            continue
        page, texts = printed(browser, path)
        headings = page.evaluate("[...document.querySelectorAll('main h2')].map(h => h.textContent.trim())")
        charts = page.evaluate("""() => [...document.querySelectorAll('.sapa-chart')].filter(c => !c.closest(
          '.celltag_repeats_table, .celltag_screen_only')).map(c => ({
            title: [...c.querySelectorAll('.role-title-text')].pop().textContent,  // (small multiples' first)
            axes: [...c.querySelectorAll('.role-axis-title text')].map(t => t.textContent)}))""")
        answer = page.evaluate("[...document.querySelectorAll('.sapa-key dt, .sapa-key dd')].map(e => e.firstChild"
                               ".textContent.trim())")
        result[path.relative_to(built_reports).as_posix()] = (page.title(), headings, charts, answer, texts)
        page.context.close()
    return result


def test_a_printed_report_opens_with_its_answer_and_names_itself_on_every_page(printed_reports):
    """Page 1 holds the key figures; every page carries the report's title and its number in the margin."""
    for name, (title, _, _, answer, texts) in printed_reports.items():
        if name.endswith("scenarieudforsker.html"):  # the explorer's page without a kernel: its figures, no answer
            answer = ["Statisk visning"]
        assert answer and all(squeezed(a) in squeezed(texts[0]) for a in answer), (name, answer)
        for number, text in enumerate(texts, 1):
            assert f"Side {number} af {len(texts)}" in text and squeezed(title) in squeezed(text), (name, number)


def test_a_municipal_report_prints_on_at_most_three_pages(printed_reports):
    counts = {name: len(texts) for name, (*_, texts) in printed_reports.items() if name.startswith("kommuner/")}
    assert len(counts) == 3 and max(counts.values()) <= 3, counts


def test_no_chart_is_split_and_no_heading_left_alone_on_paper(printed_reports):
    """Each printed chart's title and axis titles are on one page, and no page ends with a heading."""
    for name, (title, headings, charts, _, texts) in printed_reports.items():
        for chart in charts:
            holding = [t for t in texts if squeezed(chart["title"]) in squeezed(t)]  # (a table's caption may repeat it)
            assert any(all(squeezed(a) in squeezed(t) for a in chart["axes"]) for t in holding), (name, chart)
        for number, text in enumerate(texts[:-1], 1):
            lines = [line for line in text.splitlines() if line.strip() and not line.startswith("Side ")
                     and squeezed(line) not in squeezed(title)]
            assert squeezed(lines[-1]) not in {squeezed(h) for h in headings}, (name, number, lines[-1])


def test_nothing_printed_refers_to_controls_that_are_not_printed(printed_reports):
    for name, (*_, texts) in printed_reports.items():
        text = " ".join(texts).lower()
        assert "skyder" not in text and "træk i" not in text, name


PRINT_LAYOUT = """() => {
  const shown = e => e.getBoundingClientRect().height > 0;
  const number = /^[−+-]?[0-9.,]+( kr\\.)?$/;
  const wrapped = [...document.querySelectorAll('table.sapa-table td')].filter(shown)
    .filter(td => number.test(td.textContent.trim())).filter(td => {
    const r = document.createRange(); r.selectNodeContents(td);
    return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size > 1;
  }).map(td => td.textContent);
  const charts = [...document.querySelectorAll('.sapa-chart')].filter(shown).map(c => [
    getComputedStyle(c).breakInside, Math.round(c.getBoundingClientRect().height)]);
  const rows = [...document.querySelectorAll('table.sapa-table tr')].filter(shown).map(r => getComputedStyle(r)
    .breakInside);
  return {wrapped, charts, rows: [...new Set(rows)]};
}"""


def test_on_paper_charts_and_rows_are_kept_whole_and_numbers_never_wrap(browser, built_reports):  # noqa: F811
    for path in pages(built_reports):
        page, _, _ = view(browser, path, "A4")
        found = page.evaluate(PRINT_LAYOUT)
        assert found["wrapped"] == [], (path.name, found["wrapped"][:5])
        assert all(how == "avoid" and height < PRINTABLE_HEIGHT for how, height in found["charts"]), path.name
        assert found["rows"] in ([], ["avoid"]), path.name
        page.context.close()


# -- On a phone: charts drawn for the screen, short municipal pages, a search that works ----------------------------

CHART_TEXT = """() => [...document.querySelectorAll('.sapa-chart svg')].filter(s => s.getBoundingClientRect().width > 0)
  .map(svg => { const box = svg.viewBox.baseVal, scale = svg.getBoundingClientRect().width / box.width;
    const sizes = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim())
      .map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
    return {scale, smallest: Math.min(...sizes), right: svg.getBoundingClientRect().right}; })"""


def test_on_a_phone_charts_are_drawn_for_the_screen_with_text_of_at_least_11_px(browser, built_reports):  # noqa: F811
    for path in pages(built_reports):
        page, _, _ = view(browser, path, "phone")
        for chart in page.evaluate(CHART_TEXT):
            assert chart["scale"] > 0.99 and chart["smallest"] >= 11 and chart["right"] <= 390, (path.name, chart)
        page.context.close()


def test_on_a_phone_a_municipal_report_is_short_and_folds_repeated_months(browser, built_reports):  # noqa: F811
    for path in pages(built_reports / "kommuner"):
        page, _, _ = view(browser, path, "phone")
        assert page.evaluate("document.documentElement.scrollHeight") <= 5_000, path.name
        months = page.evaluate("[...document.querySelectorAll('table.sapa-table')].find(t => t.caption && "
                               "t.caption.textContent.includes('pr. måned')).tBodies[0].rows.length")
        assert 1 <= months <= 3, (path.name, months)
        page.context.close()


VISIBLE_ROWS = "[...document.querySelectorAll('#kommuner tbody tr')].filter(r => r.getBoundingClientRect().height > 0)" \
               ".map(r => r.cells[0].textContent.trim())"


def test_on_a_phone_the_index_search_hides_rows_follows_the_address_and_survives_back(browser, built_reports):  # noqa: F811
    page, requests, errors = view(browser, built_reports / "index.html", "phone")
    assert page.evaluate("document.getElementById('q').getBoundingClientRect().bottom") < 844  # first screen
    assert page.evaluate(VISIBLE_ROWS) == ["Høje-Taastrup", "København", "Læsø"]  # Danish order
    page.fill("#q", "laesoe")
    assert page.evaluate(VISIBLE_ROWS) == ["Læsø"] and "q=laesoe" in page.url
    page.fill("#q", "")
    page.select_option("#region", "Hovedstaden")
    assert page.evaluate(VISIBLE_ROWS) == ["Høje-Taastrup", "København"] and "region=Hovedstaden" in page.url
    page.select_option("#wave", "3")
    assert page.evaluate(VISIBLE_ROWS) == [] and page.is_visible("#empty")
    page.select_option("#wave", "")
    page.select_option("#region", "")
    page.fill("#q", "Læsø")
    page.press("#q", "Enter")  # one hit: Enter opens it
    page.wait_for_url("**/kommuner/825-laesoe.html")
    page.go_back()
    page.wait_for_selector("#q")
    assert page.input_value("#q") == "Læsø" and page.evaluate(VISIBLE_ROWS) == ["Læsø"]
    page.fill("#q", "h")
    page.press("#q", "Enter")  # more than one hit: Enter stays
    assert page.url.split("?")[0].endswith("index.html") and len(page.evaluate(VISIBLE_ROWS)) == 2
    assert requests == [] and errors == []
    page.context.close()


TARGETS = """() => [...document.querySelectorAll('a, button, input, select, summary')].filter(e => {
  const r = e.getBoundingClientRect(); return r.width > 0 && r.right > 0 && (r.height < 40 || r.width < 40);
}).map(e => e.outerHTML.slice(0, 80))"""


def test_every_page_has_a_skip_link_scoped_headers_and_thumb_sized_targets_on_a_phone(browser, built_reports):  # noqa: F811
    for path in pages(built_reports):
        page, _, _ = view(browser, path, "phone")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "sapa-skip", path.name
        assert page.evaluate("document.activeElement.getAttribute('href')") == "#main" and page.locator("#main").count()
        assert page.evaluate("[...document.querySelectorAll('thead th')].filter(t => t.scope !== 'col').length") == 0
        if path.name == "index.html" or "kommuner" in path.parts:
            assert page.evaluate(TARGETS) == [], path.name
        page.context.close()
