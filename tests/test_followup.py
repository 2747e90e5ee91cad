"""Budget follow-up: hand-computed year-ends, identities that hold to the øre, every bad input named, the CLI."""

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT
from reports_fixture import sapa
from sapa_model import FollowupError, UnknownMunicipalityError, followup, followup_all, monthly
from sapa_model.analysis.followup import AMOUNTS, LINES, PARTS, ranking, rounded
from sapa_model.components import NAMES as COMPONENTS
from sapa_model.data import population as people
from sapa_model.scenarios import scenario_from_data
from sapa_model.views import followup as show

CASES = yaml.safe_load((ROOT / "tests" / "cases" / "followup.yaml").read_text(encoding="utf-8"))
BUDGET = scenario_from_data(CASES["budget"])
EXAMPLE = ROOT / "scenarios" / "fakturaer_opfoelgning_eksempel.csv"
HEADER = "kommune;year;component;amount_dkk;months;month;reference"


def _ore(values) -> np.ndarray:
    """Kroner as whole øre (the follow-up works in them; kroner are øre / 100)."""
    return np.rint(np.asarray(values, dtype=float) * 100).astype(np.int64)


def _csv(tmp_path, *rows: str, name: str = "fakturaer.csv"):
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def _laesoe(months=range(1, 7), amount="2103,75") -> list[str]:
    return [f"Læsø;2026;sapa;{amount};1;{m};S-{m:02d}" for m in months]


@pytest.fixture(autouse=True)
def _after_every_invoice(monkeypatch):
    """These tests follow up years up to 2030 (a budget year's population not published yet): as on a day after
    all of them. The refusal of months not begun has a test of its own."""
    from sapa_model.analysis import followup as module

    monkeypatch.setattr(module, "_today", lambda: dt.date(2030, 12, 31))


# -- Hand-computed examples (tests/cases/followup.yaml, with their working) -------------------------------


@pytest.mark.parametrize("case", CASES["cases"], ids=lambda c: c["case"])
def test_hand_computed_followup(case):
    result = followup(case["kommune"], case["invoices"], budget=BUDGET)
    assert result.attrs["as_of"] == dt.date.fromisoformat(str(case["as_of"]))
    assert result.attrs["year"] == 2026 and list(result.index) == list(LINES)
    for line, expected in case["expected"].items():
        for column, value in expected.items():
            shown = result.loc[line, column]
            if isinstance(value, str):
                assert shown == value, (line, column)
            elif column.startswith(("months", "outstanding")):
                assert int(shown) == value, (line, column)
            else:
                assert shown == pytest.approx(value, abs=0.005), (line, column)
    if "outstanding" in case:
        assert result.attrs["outstanding"] == case["outstanding"]
    if "answer" in case:
        assert show.answer(result) == case["answer"]


def test_the_budget_rests_on_the_population_projected_when_it_was_adopted():
    """Læsø 2026: the straight line through 2021-2025 gives 1 730 (the working in tests/cases/followup.yaml); the last
    figure carried forward gives 2025's 1 719. The observed 1 683 is what the year is billed on."""
    assert people.as_budgeted(2026, "trend", 5)[825] == 1730
    assert people.as_budgeted(2026, "carry_forward", 5)[825] == 1719
    result = followup("Læsø", CASES["cases"][0]["invoices"], budget=BUDGET)
    assert result.attrs["population"] == {
        "budget": 1730, "observed": 1683, "known": True, "method": "trend", "from_year": 2025}
    with pytest.raises(Exception, match="outside"):
        people.as_budgeted(2027, "trend", 5)  # not observed yet


def test_a_year_whose_population_is_not_published_yet_has_no_population_part():
    """2027: the budget and the year-end both rest on the projected population, so a difference sits in the price."""
    rows = [{"kommune": "Læsø", "year": 2027, "component": "sapa", "amount_dkk": 2200, "months": 1, "month": 1,
             "reference": "S1"}]
    result = followup("Læsø", rows)
    assert not result.attrs["population"]["known"]
    assert (result["population"] == 0).all() and result.loc["sapa", "price"] == result.loc["sapa", "deviation"] != 0
    assert "ikke offentliggjort endnu" in show.population_note(result)


def test_without_invoices_for_a_line_the_year_end_is_the_budget_on_the_observed_population():
    """The infrastructure without an invoice: every month at the budget's price, on the population billed."""
    result = followup("Læsø", _laesoe_rows(), budget=BUDGET)
    bill = monthly("Læsø", 2026, BUDGET)
    observed = bill[(bill["model"] == "new") & (bill["component"] == "infrastructure")]["amount_dkk"].sum()
    assert result.loc["infrastructure", "year_end"] == pytest.approx(observed, abs=0.005)
    assert result.loc["infrastructure", "price"] == 0 and result.loc["infrastructure", "basis"] == "budget_price"


def test_the_months_of_the_year_add_up_to_the_lines():
    """The chart's months: every line together, the budget spread over its months, each invoice evenly over the
    months it covers, the rest in the months still to come."""
    result = followup("Læsø", CASES["cases"][1]["invoices"], budget=BUDGET)  # one invoice for January-March
    by_month, total = result.attrs["by_month"], result.loc["total"]
    for key, column in (("budget", "budget"), ("paid", "paid"), ("rest", "rest")):
        assert sum(by_month[key]) == pytest.approx(total[column], abs=0.01), key
    assert by_month["paid"][:3] == pytest.approx([2103.75] * 3) and by_month["paid"][3:] == [0.0] * 9


def _laesoe_rows():
    return CASES["cases"][0]["invoices"]


# -- The identities, for any invoices ---------------------------------------------------------------------


@st.composite
def invoices(draw):
    """One municipality's monthly invoices for a year: some of its payments, the first months of the year (or a
    gap), each at the model's own amount times a plausible factor, and KMD Sag still paid where it is switched off."""
    kommune = draw(st.sampled_from(["Læsø", "Aarhus", "København", "Ærø", "Odense", "Gentofte", "Vesthimmerland"]))
    year = draw(st.integers(2022, 2029))
    bill = monthly(kommune, year)
    bill = bill[bill["model"] == "new"]
    months = draw(st.integers(1, 12))
    skipped = draw(st.one_of(st.none(), st.integers(1, months)))
    rows = []
    for component in draw(st.sets(st.sampled_from(COMPONENTS), min_size=1)):
        amounts = bill[bill["component"] == component]["amount_dkk"].to_numpy()
        factor = draw(st.floats(0.8, 1.2))
        if not amounts.any():
            if component != "kmd_sag":
                continue
            amounts = np.full(12, draw(st.floats(100, 5000)))  # still paid after the model's switch-off
        for m in range(1, months + 1):
            if m != skipped:
                rows.append({"kommune": kommune, "year": year, "component": component, "months": 1, "month": m,
                             "amount_dkk": round(float(amounts[m - 1] * factor), 2), "reference": f"{component}-{m}"})
    extra = draw(st.integers(0, 12 - months))
    as_of = (pd.Timestamp(year=year, month=months + extra, day=1) + pd.offsets.MonthEnd(0)).date()
    return kommune, rows, as_of


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(invoices())
def test_every_identity_holds_to_the_ore(drawn):
    kommune, rows, as_of = drawn
    if not rows:
        return
    result = followup(kommune, rows, as_of=as_of, strict=False)
    ore = {a: _ore(result[a]) for a in AMOUNTS}
    assert (ore["paid"] + ore["rest"] == ore["year_end"]).all()
    assert (ore["year_end"] - ore["budget"] == ore["deviation"]).all()
    assert (sum(ore[p] for p in PARTS) == ore["deviation"]).all()
    lines = list(COMPONENTS)
    for a in AMOUNTS:
        assert ore[a][-1] == ore[a][:-1].sum(), a  # the total is the sum of the lines
    assert _ore(result.loc[lines, "paid"]).sum() == _ore(sum(r["amount_dkk"] for r in rows))  # every invoice counted
    assert (result.loc[lines, "months_paid"] + result.loc[lines, "months_rest"] <= 12).all()
    for unit in (1, 1000):
        shown = rounded(result, unit)
        assert (shown["paid"] + shown["rest"] == shown["year_end"]).all()
        assert (shown["year_end"] - shown["budget"] == shown["deviation"]).all()
        assert (shown["price"] + shown["population"] + shown["timing"] == shown["deviation"]).all()
        assert (shown.loc["total", list(AMOUNTS)] == shown.loc[lines, list(AMOUNTS)].sum()).all()
        assert (shown["year_end"] - result["year_end"] / unit).abs().loc[lines].max() <= 0.5 + 1e-9  # its own rounding


def test_the_national_table_is_each_municipalitys_own_total_sorted_by_deviation():
    table = followup_all(EXAMPLE)
    ranked = ranking(table)
    assert list(ranked["deviation"]) == sorted(ranked["deviation"], reverse=True)
    for row in ranked.itertuples():
        own = rounded(followup(row.kommunekode, EXAMPLE), 1).loc["total"]
        assert (row.budget, row.paid, row.year_end, row.deviation) == tuple(own[["budget", "paid", "year_end",
                                                                                 "deviation"]])
    national = show.national_table(table)
    assert national.iloc[-1]["Kommune"] == "I alt"
    assert national.iloc[-1]["Afvigelse"] == ranked["deviation"].sum()
    assert table.attrs["as_of"] == dt.date(2026, 6, 30) and sorted(table.attrs["municipalities"]) == [751, 825]


# -- Bad input, each named with its rows ---------------------------------------------------------------------


BAD = [
    ("after the as-of date", _laesoe(), {"as_of": "2026-03-31"},
     "invoices after the as-of date 2026-03-31:\n  fakturaer.csv, row 5: Læsø 2026 sapa covers 2026-04"),
    ("a whole year after the as-of date", ["Læsø;2026;sapa;25245;;;Y"], {"as_of": "2026-06-30"},
     "fakturaer.csv, row 2: Læsø 2026 sapa covers 2026-07 to 2026-12"),
    ("months that overlap", ["Læsø;2026;sapa;6311,25;3;1;Q1", "Læsø;2026;sapa;2103,75;1;3;M3"], {},
     "fakturaer.csv, row 2 and fakturaer.csv, row 3: Læsø 2026 sapa: both cover 2026-03"),
    ("the same invoice twice", ["Læsø;2026;sapa;2103,75;1;1;S1", "Læsø;2026;sapa;2103,75;1;2;S1"], {},
     "invoice 'S1' is given twice"),
    ("a year with no budget", ["Læsø;2045;sapa;2103,75;1;1;S1"], {}, "2045 has no budget: the model covers 2019-2040"),
    ("a year asked with no budget", _laesoe(), {"year": 2045}, "2045 has no budget"),
    ("no rows for the year", _laesoe(), {"year": 2025}, "fakturaer.csv has no rows for Læsø in 2025; it has rows "
     "for Læsø 2026"),
    ("an unknown municipality in a row", ["Arhus;2026;sapa;2103,75;1;1;S1", *_laesoe()], {},
     "fakturaer.csv, row 2: unknown municipality 'Arhus'; did you mean 'Aarhus'?"),
    ("one month without months", ["Læsø;2026;sapa;2103,75;;;M"], {},
     "imply implausible prices (check moms and months; if the amounts are right, follow up with strict=False): "
     "fakturaer.csv, row 2: the amount is about one month (months missing?) of what the "
     "model's price gives"),
    ("a price jump", ["Læsø;2026;sapa;5000;1;1;M"], {"budget": BUDGET},
     "the sapa price 2026 would be 35.65 kr., +155% from 2025's 14.00 kr.; more than 25% is implausible"),
    ("an as-of date before the year", _laesoe(), {"as_of": "2025-12-31", "year": 2026},
     "the as-of date 2025-12-31 is before 2026, the year followed up"),
    ("an as-of date before every row", _laesoe(), {"as_of": "2025-12-31"},
     "the as-of date 2025-12-31 is before 2026, the first year fakturaer.csv has rows for"),
    ("an as-of date that is no date", _laesoe(), {"as_of": "30.06.2026"}, "is not a date; give YYYY-MM-DD"),
    ("a month not billed", ["Læsø;2019;sapa;500;1;2;S"], {}, "Læsø is not billed sapa in 2019-02 in this model"),
    ("a documented price contradicted", ["Læsø;2021;buffet;1000;1;1;B1"], {},
     "the invoices for Læsø 2021 cannot be used: the invoices do not agree with one another or with the documented "
     "prices"),
    ("month past December", ["Læsø;2026;sapa;6311,25;3;11;Q"], {}, "month 11 and months 3 run past December"),
    ("month on some rows only", ["Læsø;2026;sapa;2103,75;1;1;A", "Læsø;2026;sapa;2103,75;1;;B"], {},
     "give month on every row or on none"),
]


@pytest.mark.parametrize("what,rows,options,message", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_named_with_its_rows(tmp_path, what, rows, options, message):
    with pytest.raises(FollowupError) as caught:
        followup("Læsø", _csv(tmp_path, *rows), **options)
    assert message in str(caught.value)


def test_an_unknown_or_absent_municipality_is_named(tmp_path):
    with pytest.raises(UnknownMunicipalityError, match="did you mean 'Aarhus'"):
        followup("Arhus", _csv(tmp_path, *_laesoe()))
    with pytest.raises(FollowupError, match="fakturaer.csv has no rows for Aarhus; it has rows for Læsø 2026"):
        followup("Aarhus", _csv(tmp_path, *_laesoe()))


def test_a_budget_that_already_holds_the_years_invoices_is_refused(tmp_path):
    """A scenario calibrated from this year's own file would compare the year-end with itself."""
    own = scenario_from_data({"name": "Kalibreret 2026", "calibration": _laesoe_rows()})
    with pytest.raises(FollowupError, match="already holds Læsø's 2026 invoices"):
        followup("Læsø", _csv(tmp_path, *_laesoe()), budget=own)


def test_implausible_invoices_are_used_when_accepted_and_then_named():
    rows = [{"kommune": "Læsø", "year": 2026, "component": "sapa", "amount_dkk": 5000, "months": 1, "month": 1,
             "reference": "M"}]
    result = followup("Læsø", rows, budget=BUDGET, strict=False)
    assert [f.kind for f in result.attrs["accepted_warnings"]] == ["jump"]
    assert any(t.startswith("Advarsel, brugt alligevel: SAPA-pris") for t in show.notes(result, BUDGET.params))


def test_national_problems_are_listed_for_every_municipality_at_once(tmp_path):
    path = _csv(tmp_path, *_laesoe(), "Ærø;2026;sapa;100;1;7;E1", "Samsø;2026;sapa;100;1;8;S1")
    with pytest.raises(FollowupError) as caught:
        followup_all(path, as_of="2026-06-30")
    assert "Ærø 2026 sapa covers 2026-07" in str(caught.value) and "Samsø 2026 sapa covers 2026-08" in str(caught.value)


# -- The invoice file's month column, in the calibration too ------------------------------------------------------


def test_the_calibration_reads_the_month_an_invoice_starts(tmp_path):
    """sapa calibrate takes the same file: a month given is the month covered (Læsø is billed from October 2019)."""
    from sapa_model.scenarios.calibration import read_observations, solve
    from sapa_model import baseline

    observations, problems = read_observations(_csv(tmp_path, "Læsø;2019;sapa;451,50;1;12;D", "Læsø;2021;sapa;7056;4;9;H"))
    assert problems == [] and [o.period for o in observations] == [(12,), (9, 10, 11, 12)]
    solved = solve(baseline(), observations)
    assert solved.parameters["sapa.price.calibrated"].by_year() == pytest.approx({2019: 3.0, 2021: 12.0})
    assert observations[0].as_data()["month"] == 12  # written back to a scenario as it was read


# -- The command line --------------------------------------------------------------------------------------


def _numbers(line: str) -> list[int]:
    """The whole numbers of a line as shown (1.234, −56), not the shares (4,2 %)."""
    return [int(n.replace(".", "").replace("−", "-")) for n in re.findall(r"[-−]?[0-9][0-9.]*(?![0-9,]* %)", line)]


def test_the_cli_answers_first_and_its_tables_add_up(tmp_path):
    budget = tmp_path / "budget.yaml"
    budget.write_text(yaml.safe_dump(CASES["budget"], allow_unicode=True), encoding="utf-8")
    result = sapa("followup", "Læsø", "--invoices", str(_csv(tmp_path, *_laesoe())), "--budget", str(budget))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == CASES["cases"][0]["answer"]
    assert "Læsø Kommune: budgetopfølgning 2026 pr. 30. juni 2026, kr., løbende priser, ekskl. moms" in lines[2]
    table = {line.split("  ")[0]: _numbers(line.split("  ", 1)[1]) for line in lines[4:9]}
    for label, (budget_, to_date, paid, rest, year_end, deviation) in table.items():
        assert paid + rest == year_end and year_end - budget_ == deviation, label
    assert table["I alt"][:6] == [75774, 37887, 12623, 62775, 75398, -376]
    assert "- SAPA: betalt for januar-juni (6 fakturaer: S-01; S-02; S-03 og 3 flere); resten af året, " \
           "juli-december, til den pris fakturaerne giver: 15,00 kr. pr. vægtet indbygger (budgettets: 14,00 kr.)" \
           in result.stdout
    assert "budgettet byggede på 1.730, fremskrevet fra tallene til og med 2025" in result.stdout


def test_the_cli_gives_the_national_table_sorted_by_deviation_in_thousands():
    result = sapa("followup", "--invoices", str(EXAMPLE), "--unit", "1000")
    assert result.returncode == 0, result.stderr
    first, *_ = result.stdout.splitlines()
    assert first.startswith("Forventet regnskab 2026 for de 2 kommuner i fakturafilen: ")
    rows = [line for line in result.stdout.splitlines() if re.match(r"\s*(Aarhus|Læsø|I alt)\s", line)]
    assert [r.split()[0] for r in rows] == ["Aarhus", "Læsø", "I"]
    # budget, paid, year-end, deviation and its three parts (after the code; the total row has none)
    numbers = [_numbers(r)[1:8] for r in rows[:2]] + [_numbers(rows[2])[:7]]
    assert numbers[2] == [a + b for a, b in zip(numbers[0], numbers[1])]
    for budget, paid, year_end, deviation, price, population, timing in numbers:
        assert year_end - budget == deviation == price + population + timing
    assert "1.000 kr., løbende priser, ekskl. moms" in result.stdout


@pytest.mark.parametrize("args,message", [
    (["Arhus"], "unknown municipality 'Arhus'; did you mean 'Aarhus'?"),
    (["Læsø", "--as-of", "2026-03-31"], "invoices after the as-of date 2026-03-31:"),
    (["Læsø", "--year", "2045"], "2045 has no budget"),
    (["Læsø", "--all"], "give KOMMUNE for one municipality or --all"),
    (["Læsø", "--budget", "missing.yaml"], "scenario file missing.yaml does not exist"),
])
def test_the_cli_refuses_bad_input_in_one_line_with_exit_2(tmp_path, args, message):
    result = sapa("followup", *args, "--invoices", str(_csv(tmp_path, *_laesoe())))
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.startswith("sapa: error: ") and result.stdout == ""


def test_the_readme_walkthrough_runs_as_written():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Budget follow-up")[1].split("\n## ")[0]
    command = section.split("```sh")[1].split("```")[0].split()
    assert command[:2] == [".venv/bin/sapa", "followup"]
    result = sapa(*command[1:])
    assert result.returncode == 0, result.stderr
    shown = re.search(r"`(Forventet regnskab 2026: [^`]+)`", section).group(1)
    assert result.stdout.splitlines()[0] == shown


# -- Invoices checked against the budget and against the other municipalities' ---------------------------------


def _laesoe_observed_year() -> float:
    """Læsø's SAPA for 2026 at the budget's price on the observed population (kr.): budget + its population part."""
    line = followup("Læsø", EXAMPLE, as_of="2026-06-30").loc["sapa"]
    return float(line["budget"] + line["population"])


@pytest.mark.parametrize("factor, named", [(1.25, True), (1.25 * 1.029, True), (1.25 * 1.031, False), (1.20, False)])
def test_an_invoice_about_moms_over_the_budgets_price_is_refused_unless_accepted(tmp_path, factor, named):
    """Six months at 1,25 x the budget's monthly amount (within 3 % of it) look like moms; 1,20 x does not."""
    month = _laesoe_observed_year() / 12 * factor
    path = _csv(tmp_path, *_laesoe(amount=f"{month:.2f}".replace(".", ",")))
    if named:
        with pytest.raises(FollowupError, match=r"1\.25 times \(moms\?\) what the budget's prices give"):
            followup("Læsø", path)
        result = followup("Læsø", path, strict=False)
        (finding,) = [f for f in result.attrs["accepted_warnings"] if f.values.get("against") == "budget"]
        assert finding.values["ratio"] == pytest.approx(factor, rel=1e-4)
        assert any("budgettets priser for de samme måneder" in t and "moms" in t for t in show.notes(result, BUDGET.params))
        assert any("fakturaer.csv, række 2 og 5 andre rækker: Læsøs faktura" in t for t in show.notes(result, BUDGET.params))
    else:
        result = followup("Læsø", path)
        assert not [f for f in result.attrs["findings"] if f.kind == "looks_like"]


def test_one_municipalitys_price_about_moms_over_the_others_is_named_in_the_national_follow_up(tmp_path):
    """The new model has one price: Læsø's invoice at 1,25 x the price per inhabitant Aarhus's implies is named;
    at 1,10 x it is not (nor against the budget: 16,50 kr. over its 14,04 kr. is 1,18 x)."""
    aarhus = followup("Aarhus", EXAMPLE).at["sapa", "price_expected"]
    for factor, named in ((1.25, True), (1.10, False)):
        month = aarhus * 1_683 / 12 * factor  # Læsø: 1 683 inhabitants on 1 January 2026, below the knee
        path = _csv(tmp_path, "Aarhus;2026;sapa;330225,63;1;1;A1",
                    f"Læsø;2026;sapa;{month:.2f}".replace(".", ",") + ";1;1;L1")
        if named:
            with pytest.raises(FollowupError, match=r"Læsø 2026 .*row 3: the amount is about 1\.25 times \(moms\?\) "
                                                    r"what the other invoices imply"):
                followup_all(path)
            table = followup_all(path, strict=False)
            assert [f.values["kind"] for f in table.attrs["municipalities"][825]["accepted_warnings"]] == ["moms"]
        else:
            findings = followup_all(path).attrs["municipalities"][825]["findings"]
            assert findings and not [f for f in findings if f.kind == "looks_like"]


def test_invoices_for_months_not_begun_and_an_as_of_date_after_today_are_refused(tmp_path, monkeypatch):
    """On 15 March 2026: an invoice from March is in the year so far (a quarter's invoice may cover April and May
    too), one from April is not, nor an as-of date of 16 March; a typed 2027 for 2026 is named the same way."""
    from sapa_model.analysis import followup as module

    monkeypatch.setattr(module, "_today", lambda: dt.date(2026, 3, 15))
    quarter = _csv(tmp_path, "Læsø;2026;sapa;6311,25;3;3;Q1", name="quarter.csv")
    assert followup("Læsø", quarter).loc["sapa", "paid"] == 6311.25  # as of 31 May, the quarter's end
    for row, month in (("Læsø;2026;sapa;2103,75;1;4;A4", "2026-04"), ("Læsø;2027;sapa;2103,75;1;1;T1", "2027-01")):
        with pytest.raises(FollowupError, match=rf"invoices for a month that has not begun \(today is 2026-03-15; "
                                                rf"is the year right\?\): .*row 2: Læsø \d+ sapa from {month}"):
            followup("Læsø", _csv(tmp_path, row))
    march = _csv(tmp_path, "Læsø;2026;sapa;2103,75;1;3;M3", name="march.csv")
    assert followup("Læsø", march, as_of="2026-03-15").attrs["as_of"] == dt.date(2026, 3, 15)
    with pytest.raises(FollowupError, match=r"the as-of date 2026-03-16 is after today \(2026-03-15\)"):
        followup("Læsø", march, as_of="2026-03-16")
    monkeypatch.setattr(module, "_today", lambda: dt.date(2026, 4, 1))  # April has begun on its first day
    assert followup("Læsø", _csv(tmp_path, "Læsø;2026;sapa;2103,75;1;4;A4")).loc["sapa", "months_paid"] == 1


@pytest.mark.parametrize("how,accept", [("cli", "--accept-warnings"), ("notebook", "accept_warnings = 1")])
def test_implausible_invoices_name_the_way_to_accept_them_that_the_user_has(tmp_path, capsys, how, accept):
    invoices = tmp_path / "fakturaer.csv"
    invoices.write_text("kommune;year;component;amount_dkk;months;month;reference\nLæsø;2026;sapa;2103,75;;;M\n",
                        encoding="utf-8")
    expected = ("the invoices for Læsø 2026 imply implausible prices (check moms and months; if the amounts are right, "
                f"follow up with {accept}): fakturaer.csv, row 2: the amount is about one month (months missing?) of "
                "what the model's price gives")
    if how == "cli":
        from sapa_model.cli import main

        assert main(["followup", "Læsø", "--invoices", str(invoices)]) == 2
        assert capsys.readouterr().err == f"sapa: error: {expected}\n"
    else:
        from sapa_model.views import followup as show

        for setup in (lambda: show.setup("Læsø", str(invoices), None, "", "", 1, 0),
                      lambda: show.setup_all(str(invoices), None, "", "", 1, 0)):
            with pytest.raises(FollowupError) as caught:
                setup()
            assert str(caught.value) == expected


def test_the_cli_shows_an_invoice_reference_with_terminal_escapes_made_visible(tmp_path):
    path = _csv(tmp_path, "Læsø;2026;sapa;2103,75;1;1;\x1b[2J\u202eevil")
    result = sapa("followup", "Læsø", "--invoices", str(path))
    assert result.returncode == 0, result.stderr
    assert "\\x1b[2J\\u202eevil" in result.stdout and "\x1b" not in result.stdout and "\u202e" not in result.stdout
