"""The budget follow-up in the reports and the workbook: `sapa reports --followup FILE`, built once, as a user would."""

import re

import openpyxl
import pytest

from conftest import ROOT
from notebook_runner import key_figures, run, run_with_papermill, text
from reports_fixture import sapa
from sapa_model import SapaError, followup, load_scenario
from sapa_model.analysis.followup import rounded
from sapa_model.report import page
from sapa_model.views import followup as show
from test_layout import CLIPPED, OUTSIDE, SUMMARY, VIEWS, view

HOSTILE = '<script>alert(1)</script>'
ROWS = [
    "kommune;year;component;amount_dkk;months;month;reference",
    *[f"Læsø;2026;sapa;2103,75;1;{m};S-{m}" for m in range(1, 7)],
    f"Læsø;2026;buffet;2019,60;3;1;{HOSTILE}",
    "Ærø;2026;sapa;7000;1;1;=HYPERLINK(\"http://x\")",
    "Ærø;2026;sapa;7000;1;2;E-2",
]


@pytest.fixture(scope="module")
def followed(tmp_path_factory):
    """Reports for the municipalities in an invoice file (one reference an HTML script, one an Excel formula)."""
    folder = tmp_path_factory.mktemp("followup")
    invoices = folder / "fakturaer.csv"
    invoices.write_text("\n".join(ROWS) + "\n", encoding="utf-8")
    out = folder / "reports"
    result = sapa("reports", "--followup", str(invoices), "--as-of", "2026-06-30", "--out", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    return out, invoices


def _cells(page_html: str, caption_start: str) -> list[list[str]]:
    table = next(t for t in re.findall(r"<table.*?</table>", page_html, flags=re.S)
                 if re.search(rf"<caption>{re.escape(caption_start)}", t))
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table.split("<tbody>")[1], flags=re.S)]


def _number(cell: str) -> int:
    return int(cell.replace(".", "").replace("−", "-"))  # Danish: 1.234 and −56


def test_each_municipality_in_the_file_gets_its_follow_up_and_the_file_a_national_page(followed):
    out, _ = followed
    assert sorted(p.name for p in (out / "kommuner").glob("*opfoelgning*")) == [
        "492-aeroe-opfoelgning-2026.html", "825-laesoe-opfoelgning-2026.html"]
    assert (out / "national/budgetopfoelgning-2026.html").is_file()
    assert not (out / "national/gammel-mod-ny-model.html").exists()  # only the file's municipalities were asked for
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="kommuner/825-laesoe-opfoelgning-2026.html">budgetopfølgning 2026</a>' in index
    assert index.count('data-code="825"') == 1  # one row per municipality, its follow-up linked from it
    assert "Forventet regnskab 2026 pr. 30. juni 2026 for de 2 kommuner" in index
    for link in re.findall(r'href="([^"#]+)"', index):
        assert (out / link).is_file(), link


def test_the_municipal_page_answers_first_and_its_table_is_the_follow_up(followed):
    out, invoices = followed
    html_page = (out / "kommuner/825-laesoe-opfoelgning-2026.html").read_text(encoding="utf-8")
    result = followup("Læsø", invoices, as_of="2026-06-30")
    key = html_page.split('class="sapa-key"', 1)[1]  # the key figures, then the answer, then the tables
    assert f"<dd>{show.fmt.kr(rounded(result, 1).loc['total', 'year_end'])}" in key.split("</dl>", 1)[0]
    main = key.split("</section>", 1)[1]
    answer = show.answer(result)
    assert answer.startswith("Forventet regnskab 2026: ") and "budgettet" in answer
    assert main.index(answer) < main.index("<table")  # the answer before any table
    shown = rounded(result, 1)
    rows = _cells(html_page, "Læsø Kommune: budgetopfølgning 2026 pr. 30. juni 2026, kr., løbende priser, ekskl. moms")
    assert [r[0] for r in rows] == ["SAPA", "Fælleskommunal infrastruktur", "Buffetpris (drift af services)", "KMD Sag",
                                    "I alt"]
    for row, line in zip(rows, shown.index):
        assert [_number(c) for c in row[1:7]] == shown.loc[line, ["budget", "budget_to_date", "paid", "rest",
                                                                  "year_end", "deviation"]].tolist()
    assert [r[-1] for r in rows] == ["faktureret", "ingen faktura endnu", "faktureret", "faktureres ikke",
                                     "delvis faktureret"]
    assert html_page.count('class="sapa-chart"') == 1 and "Læsø: betalt og forventet 2026 mod budgettet" in html_page
    parts = _cells(html_page, "Læsø: afvigelsen fra budgettet 2026, kr., løbende priser, ekskl. moms")
    for row in parts:
        price, population, timing, deviation = (_number(c) for c in row[1:])
        assert price + population + timing == deviation


def test_every_user_text_is_escaped_and_the_pages_are_offline(followed):
    out, _ = followed
    for path in [*(out / "kommuner").glob("*opfoelgning*"), out / "national/budgetopfoelgning-2026.html"]:
        html_page = path.read_text(encoding="utf-8")
        assert HOSTILE not in html_page and "alert(1)" not in html_page.replace("&lt;script&gt;alert(1)", "")
        assert not re.search(r'<(script|link)[^>]+(src|href)="(https?:)?//', html_page)
        assert "Danmarks Statistik" in html_page and "ekskl. moms" in html_page
    laesoe = (out / "kommuner/825-laesoe-opfoelgning-2026.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in laesoe  # shown as text


def test_the_national_page_is_sorted_by_deviation_and_sorts_in_the_browser(followed):
    out, invoices = followed
    html_page = (out / "national/budgetopfoelgning-2026.html").read_text(encoding="utf-8")
    rows = _cells(html_page, "Budgetopfølgning 2026 pr. 30. juni 2026, kr., løbende priser, ekskl. moms")
    deviations = [_number(r[5]) for r in rows[:-1]]
    assert deviations == sorted(deviations, reverse=True) and rows[-1][0] == "I alt"
    assert _number(rows[-1][5]) == sum(deviations)
    assert 'aria-sort="descending"' in html_page and "data-value=" in html_page
    policy = re.search(r'Content-Security-Policy" content="([^"]+)"', html_page).group(1)
    script = show.SORT_SCRIPT
    assert f"'{page.digest(script)}'" in policy  # the sorting script is allowed to run, by its hash


def test_the_workbook_has_the_follow_up_sheet_and_it_adds_up(followed):
    out, invoices = followed
    book = openpyxl.load_workbook(out / "kommuner/825-laesoe.xlsx", read_only=True)
    assert "Budgetopfølgning 2026" in book.sheetnames
    rows = list(book["Budgetopfølgning 2026"].iter_rows(values_only=True))
    assert rows[0][0] == "Læsø Kommune: budgetopfølgning 2026 pr. 30. juni 2026"
    assert rows[1][0].startswith("Forventet regnskab 2026: ") and rows[2][0] == "kr., løbende priser, ekskl. moms"
    header = list(rows[4])
    table = {r[0]: dict(zip(header, r)) for r in rows[5:10]}
    for line, r in table.items():
        assert r["Betalt til dato"] + r["Forventet resten af året"] == r["Forventet regnskab"], line
        assert r["Forventet regnskab"] - r["Budget"] == r["Afvigelse"], line
        assert r["heraf pris"] + r["heraf indbyggertal"] + r["heraf måneder"] == r["Afvigelse"], line
    assert sum(table[line]["Forventet regnskab"] for line in list(table)[:-1]) == table["I alt"]["Forventet regnskab"]
    assert table["SAPA"]["Grundlag"] == "faktureret" and table["KMD Sag"]["Grundlag"] == "faktureres ikke"
    assert table["Buffetpris (drift af services)"]["Fakturaer"] == HOSTILE  # a text cell, never markup or a formula
    aeroe = openpyxl.load_workbook(out / "kommuner/492-aeroe.xlsx")["Budgetopfølgning 2026"]
    assert all(c.data_type != "f" for row in aeroe.iter_rows() for c in row)  # no cell is a formula
    assert any(c.value == '=HYPERLINK("http://x"); E-2' for row in aeroe.iter_rows() for c in row)  # but text


def test_follow_up_options_without_a_follow_up_are_refused(tmp_path):
    result = sapa("reports", "--as-of", "2026-06-30", "--out", str(tmp_path / "out"), "--quiet")
    assert result.returncode == 2 and "give the invoice file with --followup" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_bad_follow_up_file_stops_the_build_before_any_work(tmp_path):
    invoices = tmp_path / "fakturaer.csv"
    invoices.write_text("\n".join(ROWS[:3]) + "\nLæsø;2026;sapa;2103,75;1;2;S-dup\n", encoding="utf-8")
    out = tmp_path / "reports"
    result = sapa("reports", "--followup", str(invoices), "--out", str(out), "--quiet")
    assert result.returncode == 2 and "both cover 2026-02" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()  # nothing written, not even the folder


def test_the_follow_up_notebook_shows_what_followup_computes(tmp_path):
    figures = key_figures(run("kommune_followup", tmp_path, kommune="Aarhus", unit=1000))
    result = rounded(followup("Aarhus", ROOT / "scenarios/fakturaer_opfoelgning_eksempel.csv"), 1)
    for line in result.index:
        for column in ("budget", "paid", "rest", "year_end", "deviation", "price", "population", "timing"):
            assert figures[f"{line}_{column}"] == result.loc[line, column], (line, column)
    assert figures["as_of"] == "2026-06-30" and figures["unit"] == 1000


def test_a_bad_notebook_parameter_stops_with_a_clear_message(tmp_path):
    from papermill.exceptions import PapermillExecutionError

    with pytest.raises(PapermillExecutionError) as caught:
        run_with_papermill("kommune_followup", tmp_path, kommune="Læsø", as_of="2026-03-31")
    assert "invoices after the as-of date 2026-03-31" in str(caught.value)
    with pytest.raises(PapermillExecutionError) as caught:
        run_with_papermill("national_followup", tmp_path, invoices="")
    assert "invoices: give the invoice file" in str(caught.value)


@pytest.mark.parametrize("name", ["laptop", "phone", "A4"])
def test_the_follow_up_pages_show_every_column_on_laptop_phone_and_paper(browser, followed, name):
    """No column hidden behind a scrollbar or past the edge, no request to the network, no script error; on a
    laptop the answer is on the first screen."""
    out, _ = followed
    for path in [*(out / "kommuner").glob("*opfoelgning*"), out / "national/budgetopfoelgning-2026.html"]:
        page, requests, errors = view(browser, path, name)
        assert page.evaluate(CLIPPED) == [] and page.evaluate(OUTSIDE) == [], path.name
        assert page.evaluate("document.documentElement.scrollWidth") <= VIEWS[name][0], path.name
        assert requests == [] and errors == [], path.name
        if name == "laptop":
            assert (page.evaluate(SUMMARY) or 10_000) < 800, path.name
        page.context.close()


def test_the_national_table_sorts_when_a_heading_is_clicked(browser, followed):
    out, _ = followed
    page, _, errors = view(browser, out / "national/budgetopfoelgning-2026.html", "laptop")
    names = "() => [...document.querySelectorAll('table.sapa-sortable tbody tr')].map(r => r.cells[0].textContent)"
    before = page.evaluate(names)
    assert before[-1] == "I alt"
    page.locator("table.sapa-sortable th", has_text="Kommune").click()
    descending = page.evaluate(names)
    page.locator("table.sapa-sortable th", has_text="Kommune").click()
    ascending = page.evaluate(names)
    assert descending[:-1] == sorted(before[:-1], reverse=True) and ascending[:-1] == sorted(before[:-1])
    assert descending[-1] == ascending[-1] == "I alt"  # the total stays last
    assert errors == []
    page.context.close()


def test_the_municipal_notebook_needs_a_municipality():
    from sapa_model.errors import NotebookParameterError

    with pytest.raises(NotebookParameterError, match="kommune: give the municipality"):
        show.setup("", str(ROOT / "scenarios/fakturaer_opfoelgning_eksempel.csv"), None, "", "", 1, 0)
    with pytest.raises(NotebookParameterError, match="unit must be 1"):
        show.setup("Læsø", str(ROOT / "scenarios/fakturaer_opfoelgning_eksempel.csv"), None, "", "", 100, 0)


def test_a_kommune_the_follow_up_file_has_no_invoices_for_stops_the_build_naming_what_it_has(tmp_path):
    out = tmp_path / "reports"
    result = sapa("reports", "--followup", str(ROOT / "scenarios" / "fakturaer_opfoelgning_eksempel.csv"),
                  "--kommune", "Odense", "--kommune", "Læsø", "--out", str(out), "--quiet")
    assert result.returncode == 2 and result.stderr == (
        "sapa: error: --kommune Odense: fakturaer_opfoelgning_eksempel.csv has no invoices for it in 2026, only for "
        "Aarhus and Læsø; give a municipality the file has, or build Odense without --followup\n")
    assert not out.exists()  # nothing written, not even the folder


@pytest.mark.parametrize("asked,message", [
    ([825], None),  # in the file: built
    ([825, 751], None),
    ([461], "--kommune Odense: f.csv has no invoices for it in 2026, only for Aarhus and Læsø;"),
    ([461, 825, 147], "--kommune Odense, Frederiksberg: f.csv has no invoices for them in 2026"),
])
def test_every_kommune_asked_must_be_in_the_follow_up_file(asked, message):
    from sapa_model.cli import _all_followed

    if message is None:
        assert _all_followed(asked, [751, 825], "f.csv", 2026) is None
    else:
        with pytest.raises(SapaError, match=f"^{re.escape(message)}"):
            _all_followed(asked, [751, 825], "f.csv", 2026)


def test_a_file_of_many_municipalities_is_named_five_at_a_time():
    from sapa_model.cli import _all_followed

    with pytest.raises(SapaError, match=r"only for København, Frederiksberg, Ballerup, Brøndby, Dragør and 3 more; "):
        _all_followed([461], [101, 147, 151, 153, 155, 157, 159, 161], "f.csv", 2026)
