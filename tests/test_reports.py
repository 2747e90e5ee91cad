"""`sapa reports`: the files, their content, exports, determinism, failures, bad options, interruption."""

import os
import re
import signal
import subprocess
import sys
import time

import openpyxl
import pandas as pd
import pytest

from conftest import ROOT
from reports_fixture import EPOCH, sapa
from sapa_model import __version__, compute
from sapa_model.report.build import Job, build
from sapa_model.views.labels import LINE

REPORTS = ["national/gammel-mod-ny-model.html", "national/knaekrabatten.html", "national/udgifter-hele-landet.html",
           "national/scenarieudforsker.html",
           "national/udgifter-sjaelland.html", "kommuner/101-koebenhavn.html", "kommuner/825-laesoe.html",
           "kommuner/169-hoeje-taastrup.html"]


def test_every_report_exists_and_every_link_in_the_index_resolves(built_reports):
    for name in REPORTS:
        assert (built_reports / name).is_file(), name
    index = (built_reports / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'href="([^"#]+)"', index)
    assert len(links) >= 7 + 3 * 4
    for link in links:
        assert (built_reports / link).is_file(), link


@pytest.mark.parametrize("name", REPORTS)
def test_report_is_offline_and_states_where_its_numbers_come_from(built_reports, name):
    page = (built_reports / name).read_text(encoding="utf-8")
    assert not re.search(r'<(script|link)[^>]+(src|href)="(https?:)?//', page)  # nothing from the network
    assert page.rstrip().endswith("</html>")
    assert ('class="sapa-chart"' not in page) or page.count("window.vegaEmbed") >= 1  # charts bring their own renderer
    banner = page.split('class="sapa-banner"', 1)[1].split("</aside>", 1)[0]
    assert "Illustrative tal" in banner and "Fuld SAPA-pris, gammel model" in banner  # naming the placeholders
    assert "illustrativ pladsholder" in banner and "old_model." not in banner  # Danish labels, no parameter ids
    assert f"sapa-budget {__version__}" in page and "28. november 2025" in page  # version and build date
    assert "Danmarks Statistik" in page and "Scenarie" in page
    assert "def " not in page and "import " not in page  # no code in the report


def test_municipal_report_names_the_municipality_and_its_flags(built_reports):
    page = (built_reports / "kommuner/169-hoeje-taastrup.html").read_text(encoding="utf-8")
    assert "Høje-Taastrup Kommune" in page and "Usikker bølgeplacering" in page
    assert "1. oktober 2019" in page and "Fremskrevet indbyggertal" in page
    assert 'href="169-hoeje-taastrup.xlsx"' in page


def test_exports_hold_numbers_that_equal_sapa_model(built_reports):
    table = compute()
    mine = table[table["kommunekode"] == 825]
    yearly = pd.read_csv(built_reports / "kommuner/825-laesoe-aar.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert list(yearly.columns[:6]) == ["Kommunekode", "Kommune", "År", "Model", "Komponent", "Beløb (kr.)"]
    assert yearly["Beløb (kr.)"].dtype == float
    assert yearly["Beløb (kr.)"].sum() == pytest.approx(mine["amount_dkk"].sum(), abs=len(mine) * 0.005)
    assert (yearly["Prisniveau"] == "løbende priser").all() and (yearly["Moms"] == "ekskl. moms").all()
    assert yearly["Grundlag (mindst sikre)"].isin(["illustrativ pladsholder", "antagelse", "kilde"]).all()
    carried = yearly[(yearly["Komponent"] == "Fælleskommunal infrastruktur") & (yearly["År"] > 2020)]
    assert (carried["Grundlag (mindst sikre)"] == "antagelse").all()  # carried forward: not the 2020 source
    assert (yearly["Beløb (kr.)"] == yearly["Beløb (kr.)"].round(2)).all()
    assert "Illustrative pladsholdere" not in yearly  # the CSV keeps the status; the workbook names the values
    monthly = pd.read_csv(built_reports / "kommuner/825-laesoe-maaned.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert list(monthly.columns[:4]) == ["Kommunekode", "Kommune", "Måned", "SAPA, ny model"]
    assert (monthly["Kommune"] == "Læsø").all() and "Moms" in monthly
    # each model's lines say what they rest on: the new model's budget is not marked by the old model's placeholders
    assert {"Grundlag (mindst sikre), ny model", "Grundlag (mindst sikre), gammel model"} <= set(monthly.columns)
    assert list(monthly["Måned"]) == [f"{y}-{m:02d}" for y in range(2025, 2030) for m in range(1, 13)]
    for model, name in (("new", "ny"), ("old", "gammel")):  # the months add up to the years, to the øre
        by_year = monthly.groupby(monthly["Måned"].str[:4].astype(int))[f"I alt, {name} model"].sum()
        mine_model = mine[(mine["model"] == model) & mine["year"].between(2025, 2029)]
        assert by_year.to_numpy() == pytest.approx(mine_model.groupby("year")["amount_dkk"].sum().to_numpy(), abs=1)
    lines = monthly[["SAPA, ny model", "Fælleskommunal infrastruktur", "Buffetpris (drift af services)", "KMD Sag"]]
    assert (lines.sum(axis=1).round(2) == monthly["I alt, ny model"]).all()  # totals are the sums of the lines
    workbook = openpyxl.load_workbook(built_reports / "kommuner/825-laesoe.xlsx")
    assert workbook.sheetnames == ["Budget 2026", "Budgetlinjer pr. år", "Fakturaer pr. måned", "Om tallene"]
    sheet = workbook["Budgetlinjer pr. år"]
    assert [c.value for c in sheet[1]][5] == "Beløb (kr.)" and sheet["F2"].value == 3612 and sheet.auto_filter.ref
    header = [c.value for c in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert any("Fuld SAPA-pris, gammel model" in (r[header.index("Illustrative pladsholdere")] or "") for r in rows)
    named = " ".join(str(v) for r in rows for v in r if isinstance(v, str))
    assert "bølge 4" in named and "bølge 1" not in named  # Læsø is in wave 4: only its own wave's values count
    budget = workbook["Budget 2026"]
    assert budget["A1"].value.startswith("Læsø: SAPA") and budget["A2"].value == "kr., løbende priser, ekskl. moms"
    header = [c.value for c in budget[4]]
    rows = {r[0]: dict(zip(header, r)) for r in budget.iter_rows(min_row=5, values_only=True) if isinstance(r[0], int)}
    assert rows[2026]["Budgetår"] == "budgetår" and rows[2029]["Budgetår"] == "overslagsår"
    assert sorted(rows) == [2026, 2027, 2028, 2029]  # the years the report's budget table shows
    for row in rows.values():  # the sheet adds up as shown
        shared = row["Fælleskommunal infrastruktur"] + row["Buffetpris (drift af services)"] + row["KMD Sag"]
        assert row["I alt, ny model"] == row["SAPA, ny model"] + shared
        assert row[LINE["difference"]] == row["I alt, ny model"] - row["I alt, gammel model"]
    assert budget.auto_filter.ref.startswith("A4:")


def test_national_export_is_the_whole_table(built_reports):
    tidy = pd.read_csv(built_reports / "exports/sapa-alle-kommuner.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert len(tidy) == 98 * 12 * 2 * 4
    workbook = openpyxl.load_workbook(built_reports / "exports/sapa-alle-kommuner.xlsx")
    assert workbook.sheetnames[:5] == ["Budget 2026", "SAPA, ny model", "SAPA, gammel model", "I alt, ny model",
                                       "I alt, gammel model"]
    rows = list(workbook["SAPA, ny model"].iter_rows(values_only=True))
    assert rows[2][:3] == ("Kommunekode", "Kommune", "2019") and len(rows) == 3 + 98
    guide = pd.read_csv(built_reports / "exports/sapa-budget-2026.csv", sep=";", decimal=",", encoding="utf-8-sig")
    basis = "(1.000 kr., løbende priser, ekskl. moms)"
    what = "ny model, alle betalinger (SAPA, Fælleskommunal infrastruktur, Buffetpris (drift af services) og KMD Sag)"
    assert list(guide.columns) == ["Kommunekode", "Kommune"] + [f"{y} {basis[:-1]}; {what})" for y in range(2026, 2030)]
    assert len(guide) == 99 and guide.iloc[-1]["Kommune"] == "I alt"
    text = (built_reports / "exports/sapa-budget-2026.csv").read_text(encoding="utf-8-sig").splitlines()
    assert text[1].startswith("101;København;") and ",0;" not in text[1]  # codes and whole amounts as integers
    assert (guide.iloc[:-1, 2:].sum() == guide.iloc[-1, 2:]).all()  # the total is the sum of the rows shown
    sheet = workbook["Budget 2026"]
    assert sheet["A2"].value == "1.000 kr., løbende priser, ekskl. moms" and sheet.auto_filter.ref == "A4:F103"


def test_rebuilding_with_unchanged_inputs_gives_the_same_bytes(built_reports, tmp_path):
    result = sapa("reports", "--out", str(tmp_path), "--quiet", "--kommune", "Læsø")
    assert result.returncode == 0, result.stderr
    for name in ("kommuner/825-laesoe.html", "kommuner/825-laesoe-aar.csv", "kommuner/825-laesoe-maaned.csv",
                 "kommuner/825-laesoe.xlsx"):
        assert (tmp_path / name).read_bytes() == (built_reports / name).read_bytes(), name


def test_a_scenario_is_named_in_the_reports(tmp_path):
    result = sapa("reports", "--out", str(tmp_path), "--quiet", "--kommune", "Aarhus",
                  "--scenario", "scenarios/ky_delayed_12m.yaml")
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "kommuner/751-aarhus.html").read_text(encoding="utf-8")
    assert "KY forsinket 12 måneder" in page and "Forsinkelse af KY: 12 måneder" in page


@pytest.mark.parametrize("args,message", [
    (["--kommune", "Arhus"], "unknown municipality 'Arhus'; did you mean 'Aarhus'?"),
    (["--kommune", "Arhus", "--kommune", "Odnse"], "'Odnse'"),
    (["--scenario", "scenarios/nope.yaml"], "does not exist"),
    (["--jobs", "0"], "--jobs must be 1 or more"),
])
def test_a_wrong_option_stops_before_any_work(tmp_path, args, message):
    out = tmp_path / "out"
    result = sapa("reports", "--out", str(out), "--quiet", *args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_one_failing_report_does_not_stop_the_others(tmp_path):
    jobs = [Job("kommune_budget", {"kommune": "Arhus"}, "kommuner/broken.html", "Broken"),
            Job("kommune_budget", {"kommune": 825}, "kommuner/825-laesoe.html", "Læsø", 825)]
    outcomes = build(tmp_path, jobs, workers=1, progress=False)
    assert "did you mean 'Aarhus'" in outcomes[0].error and not outcomes[1].error
    assert (tmp_path / "kommuner/825-laesoe.html").exists() and not (tmp_path / "kommuner/broken.html").exists()
    assert "Broken: " in (tmp_path / "index.html").read_text(encoding="utf-8")


def test_the_time_limit_fails_the_report_and_the_exit_code_says_so(tmp_path):
    result = sapa("reports", "--out", str(tmp_path), "--quiet", "--kommune", "Læsø", "--timeout", "0.01")
    assert result.returncode == 1
    assert "1 rapport fejlede" in result.stderr and "kommuner/825-laesoe.html" in result.stderr
    assert "time limit of 0.01 s" in result.stderr
    assert not (tmp_path / "kommuner/825-laesoe.html").exists()


def test_ctrl_c_leaves_no_half_written_file(tmp_path_factory):
    tmp_path, own_tmp = tmp_path_factory.mktemp("interrupted"), tmp_path_factory.mktemp("tmpdir")
    # A session of its own marks this build's processes (its workers and their forkserver), whatever else runs.
    process = subprocess.Popen([sys.executable, "-m", "sapa_model.cli", "reports", "--out", str(tmp_path), "--quiet"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "TMPDIR": str(own_tmp)},
                               start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and len(list((tmp_path / "kommuner").glob("*.html"))) < 3:
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole process group
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "afbrudt" in stderr
    assert not list(tmp_path.rglob("*.partial")) and not list(tmp_path.rglob(".*"))
    for page in tmp_path.rglob("*.html"):
        assert page.read_text(encoding="utf-8").rstrip().endswith("</html>"), page
    deadline = time.time() + 15
    while (leftover := subprocess.run(["pgrep", "-s", str(process.pid)], capture_output=True, text=True).stdout.strip()):
        assert time.time() < deadline, f"workers left running after Ctrl-C: {leftover}"
        time.sleep(0.5)
    assert not list(own_tmp.iterdir())  # nor their scratch folder


def test_a_budget_year_past_the_horizon_leads_the_report_in_thousands(tmp_path):
    result = sapa("reports", "--out", str(tmp_path), "--quiet", "--kommune", "Ærø", "--budget-year", "2032",
                  "--unit", "1000")
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "kommuner/492-aeroe.html").read_text(encoding="utf-8")
    assert "budget 2032 og overslagsårene 2033-2035" in page
    assert "budget 2032 og overslagsår, 1.000 kr., løbende priser, ekskl. moms" in page
    assert "Hvert beløb er afrundet for sig til hele 1.000 kr." in page
    assert page.index("budget 2032 og overslagsår, 1.000 kr.") < page.index("budgetlinjer 2019-2035")  # history after
    workbook = openpyxl.load_workbook(tmp_path / "kommuner/492-aeroe.xlsx")
    years = [r[0] for r in workbook["Budget 2032"].iter_rows(min_row=5, values_only=True) if isinstance(r[0], int)]
    assert years == list(range(2032, 2036))  # the budget year and its overslagsår, as the report's budget table
    assert (tmp_path / "exports/sapa-budget-2032.csv").is_file()


HOSTILE = """name: "<script>alert('navn')</script>"
description: "[klik](javascript:alert(1)) <img src=x onerror=alert(2)> <script>alert(3)</script>"
parameters:
  old_model.full_price: {value: 17, status: scenario, reference: "<script>alert(4)</script>"}
calibration:
  - {kommune: Læsø, year: 2021, component: sapa, amount_dkk: 21168, reference: "=HYPERLINK(\\"http://x\\")"}
"""


def test_text_from_a_scenario_reaches_reports_inert(tmp_path):
    """A scenario's name, description and references are whatever its author typed: escaped in every page,
    a strict Content-Security-Policy lets only the page's own scripts run, and no CSV cell is a formula."""
    import base64
    import hashlib

    path = tmp_path / "ondsindet.yaml"
    path.write_text(HOSTILE, encoding="utf-8")
    result = sapa("reports", "--out", str(tmp_path / "out"), "--quiet", "--kommune", "Læsø", "--scenario", str(path))
    assert result.returncode == 0, result.stderr
    for name in ("kommuner/825-laesoe.html", "index.html"):
        page = (tmp_path / "out" / name).read_text(encoding="utf-8")
        assert "<script>alert" not in page and "href=\"javascript" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(&#x27;navn&#x27;)&lt;/script&gt;" in page
        policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
        assert "default-src 'none'" in policy and "unsafe-eval" not in policy and "unsafe-inline" not in policy.split(
            "style-src")[0]
        for code in re.findall(r"<script>(.*?)</script>", page, flags=re.S):
            digest = base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in policy
    about = openpyxl.load_workbook(tmp_path / "out/kommuner/825-laesoe.xlsx")["Om tallene"]
    assert all(c.data_type != "f" for row in about.iter_rows() for c in row)  # no cell is a formula


def test_csv_text_cells_are_never_formulas_and_amounts_are_finite(tmp_path):
    from sapa_model.errors import ReportError
    from sapa_model.report.exports import write_csv

    write_csv(pd.DataFrame({"Kilde": ["=HYPERLINK(\"http://x\")", "+1", "@SUM(A1)", "faktura 7"], "Beløb": [1.0] * 4}),
              tmp_path / "a.csv")
    cells = [line.split(";")[0] for line in (tmp_path / "a.csv").read_text(encoding="utf-8-sig").splitlines()[1:]]
    assert cells == ["'=HYPERLINK(\"\"http://x\"\")", "'+1", "'@SUM(A1)", "faktura 7"] or all(
        not c.lstrip('"').startswith(("=", "+", "@")) for c in cells)
    with pytest.raises(ReportError, match="not a finite number"):
        write_csv(pd.DataFrame({"Beløb": [1.0, float("inf")]}), tmp_path / "b.csv")
    assert not (tmp_path / "b.csv").exists()


def test_a_scenario_and_its_forecast_give_the_same_bytes_from_any_folder(tmp_path):
    """No local folder name travels in a report or workbook: a forecast is named by its file name only."""
    built = []
    for place in ("a/b", "elsewhere"):
        folder = tmp_path / place
        folder.mkdir(parents=True)
        (folder / "prognose.csv").write_text("kommune;year;population\nLæsø;2027;1700\n", encoding="utf-8")
        (folder / "s.yaml").write_text("name: Egen prognose\nprojection: {forecast_file: prognose.csv}\n")
        result = sapa("reports", "--kommune", "Læsø", "--scenario", str(folder / "s.yaml"), "--out",
                      str(folder / "out"), "--quiet")
        assert result.returncode == 0, result.stderr
        built.append(folder / "out")
    files = sorted(p.relative_to(built[0]) for p in built[0].rglob("*") if p.is_file())
    assert any(f.suffix == ".xlsx" for f in files) and any(f.suffix == ".html" for f in files)
    for name in files:
        assert (built[0] / name).read_bytes() == (built[1] / name).read_bytes(), name
    page = (built[0] / "kommuner" / "825-laesoe.html").read_text(encoding="utf-8")
    assert "prognose.csv" in page and str(tmp_path) not in page


def test_the_answers_price_per_inhabitant_says_when_it_is_an_average_after_the_knee(built_reports):
    """København (above the knee) pays less per inhabitant than the price: the answer says why; Læsø (below) not."""
    above = (built_reports / "kommuner/101-koebenhavn.html").read_text(encoding="utf-8")
    below = (built_reports / "kommuner/825-laesoe.html").read_text(encoding="utf-8")
    assert "pr. indbygger i gennemsnit (indbyggerne ud over 150.000 koster 50 % af prisen: knækrabatten)" in above
    assert "i gennemsnit (indbyggerne ud over" not in below and "pr. indbygger. Med" in below
