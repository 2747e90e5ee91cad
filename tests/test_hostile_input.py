"""Every input a user supplies treated as hostile: each attack found, reproduced, and answered with the package's
own error (a message, never a trace), within time and memory bounds. Plus a fuzz over the loaders and the CLI."""

import argparse
import contextlib
import decimal
import errno
import os
import re
import subprocess
import sys
import resource
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT
from reports_fixture import sapa
from sapa_model import SapaError, ScenarioError, UnknownMunicipalityError, YearOutOfRangeError, compute, load_scenario, risk
from sapa_model import municipality
from sapa_model.cli import _parser, seconds, whole
from sapa_model.data.population import read_forecast
from sapa_model.data.tables import MAX_BYTES, number
from sapa_model.scenarios import scenario_from_data


@contextlib.contextmanager
def cpu_seconds_at_most(limit: float):
    """The block's CPU time (this process and the children it waited for) stays under `limit`: a bound on the
    work done, not on the wall clock, so a loaded machine does not fail it."""
    def cpu():
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.process_time() + children.ru_utime + children.ru_stime

    started = cpu()
    yield
    assert cpu() - started < limit


def _scenario(tmp_path, content: bytes | str, name="s.yaml"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def _forecast(tmp_path, content: bytes | str, name="f.csv"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return read_forecast(path, 2027, 2040)


BOMB = """name: x
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
description: [*f,*f,*f,*f,*f,*f,*f,*f,*f]
"""


@pytest.mark.parametrize("content,message", [
    (BOMB, "YAML aliases (*name) are not allowed"),
    ("name: &n x\ndescription: *n\n", "YAML aliases (*name) are not allowed"),
    ("name: x\n" + "#" * 1_100_000, "is larger than 1 MB"),
    ("name: x\n? [a, b]\n: 1\n", "a key must be a word, a number or a date"),
    ("name: x\nparameters:\n  sapa.knee.threshold: {2019-13-45: 100000}\n", "is not a date"),
    ("name: x\nparameters:\n  sapa.knee.rate: .nan\n", "must be a finite number"),
    ("name: x\nparameters:\n  sapa.knee.threshold: .inf\n", "must be a finite number"),
    ("name: x\nparameters:\n  old_model.full_price: 1.0e+308\n", "must be a finite number"),
    ("name: x\nprojection: {last_year: 100000}\n", "from 0 to 2060"),
    ("name: x\nparameters: {montecarlo.draws: 100000000}\n", "from 10 to 100000"),
    (b"name: \xe6\xf8\xe5\n", "not UTF-8 text"),
], ids=["bomb", "alias", "1 MB", "list key", "bad date", "nan", "inf", "1e308", "last year", "draws", "latin-1"])
def test_a_hostile_scenario_file_is_refused_quickly_with_a_message(tmp_path, content, message):
    with cpu_seconds_at_most(2):
        with pytest.raises(ScenarioError, match=message.replace("(", r"\(").replace(")", r"\)").replace("*", r"\*")):
            load_scenario(_scenario(tmp_path, content))


def test_a_utf16_scenario_with_its_bom_loads(tmp_path):
    path = _scenario(tmp_path, "name: Knæk\nparameters: {sapa.knee.threshold: 100000}\n".encode("utf-16"))
    assert load_scenario(path).params.value("sapa.knee.threshold", "2022-01-01") == 100_000


def test_a_megabyte_of_unknown_keys_is_answered_fast_and_briefly(tmp_path):
    keys = "".join(f"  unknown.parameter.number{i}: 1\n" for i in range(25_000))
    path = _scenario(tmp_path, "name: x\nparameters:\n" + keys[:990_000].rsplit("\n", 1)[0] + "\n")
    with cpu_seconds_at_most(5):
        with pytest.raises(ScenarioError) as caught:
            load_scenario(path)
    lines = str(caught.value).splitlines()
    assert len(lines) <= 22 and lines[-1].strip().startswith("… and")


@pytest.mark.parametrize("text,value", [("370000", 370000), ("370000.0", 370000), ("370.000,0", 370000),
                                        ("1.234.567", 1234567), ("1 234 567", 1234567), ("0.500", 0.5),
                                        ("2,5", 2.5), ("1,234.50", 1234.5), ("-12", -12)])
def test_numbers_are_read_one_way_only(text, value):
    assert number(text) == value


@pytest.mark.parametrize("text", ["370.000", "1,786", "1.2.3,4.5", "1e5", "nan", "inf", "", "12a", "١٢٣"])
def test_numbers_that_could_be_read_two_ways_or_are_none_are_refused(text):
    with pytest.raises(ValueError):
        number(text)


def test_a_forecast_with_a_decimal_point_is_not_multiplied(tmp_path):
    table = _forecast(tmp_path, "kommune,year,population\nAarhus,2027,370000.0\n")
    assert table.loc[751, 2027] == 370_000


def test_an_ambiguous_forecast_number_is_refused_naming_the_row(tmp_path):
    with pytest.raises(SapaError, match=r"row 3: population '370.000' is ambiguous"):
        _forecast(tmp_path, "kommune;year;population\nAarhus;2027;380000\nAarhus;2028;370.000\n")


def test_a_forecast_from_danish_excel_with_a_bom_loads(tmp_path):
    table = _forecast(tmp_path, "\ufeffkommune;år;indbyggere\nAarhus;2027;380.000,0\n".encode())
    assert table.loc[751, 2027] == 380_000


def test_an_xlsx_forecast_loads_and_another_kind_is_refused_by_name(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["kommune", "year", "population"])
    book.active.append(["Odense", 2028, 210000.0])
    book.save(tmp_path / "f.xlsx")
    assert read_forecast(tmp_path / "f.xlsx", 2027, 2040).loc[461, 2028] == 210_000
    with pytest.raises(SapaError, match="f.ods is not a table this tool reads; save it as CSV .* or XLSX"):
        _forecast(tmp_path, b"x", name="f.ods")
    with pytest.raises(SapaError, match="f.xlsx is not a readable XLSX workbook"):
        _forecast(tmp_path, b"not a zip", name="f.xlsx")


@pytest.mark.parametrize("content,message", [
    ("", "is empty; it needs a header row"),
    ("kommune,year,population\nAarhus,2027,100000000000000000000000\n", "at most 10.000.000"),
    ("kommune,year,population\nAarhus,2027.5,380000\n", "must be a year from 2027 to 2040"),
    ("kommune,year,population\nAarhus,²⁰²⁷,380000\n", "must be a year from 2027 to 2040"),
    ("kommune,year\nAarhus,2027\n", "missing: population"),
])
def test_a_bad_forecast_is_refused_with_a_message(tmp_path, content, message):
    with pytest.raises(SapaError, match=message):
        _forecast(tmp_path, content)


def test_unbounded_years_are_refused_before_anything_is_built():
    with cpu_seconds_at_most(2):
        for years in (range(2019, 10**15), [2019, 10**20], range(2030, 2019)):
            with pytest.raises(YearOutOfRangeError):
                compute(years=years)
        with pytest.raises(YearOutOfRangeError, match="whole numbers"):
            compute(years=[2020.5])
        with pytest.raises(YearOutOfRangeError, match="no years given"):
            compute(years=[])


@pytest.mark.parametrize("given", [["Aarhus"], {"Aarhus"}, None, True, 751.0, "²", "⁷⁵¹", "①", "x" * 10_000])
def test_a_municipality_is_given_by_name_or_code_only(given):
    with pytest.raises(UnknownMunicipalityError) as caught:
        municipality(given)
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize("args,message", [
    (["budget", "Aarhus", "--years", "2019-99999999999999999999"], "--years must look like FIRST-LAST"),
    (["budget", "Aarhus", "--years", "2030-2019"], "no years given"),
    (["budget", "Aarhus", "--years", "²⁰¹⁹-²⁰²⁰"], "--years must look like FIRST-LAST"),
    (["budget", "⁷⁵¹"], "unknown municipality"),
    (["budget", "Aarhus", "--budget-year", "99999999999999999999"], "is not a whole number"),
])
def test_the_cli_answers_bad_values_with_a_message_fast(args, message):
    with cpu_seconds_at_most(20):
        result = sapa(*args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


# -- fuzz: either a result or the package's own error, in bounded memory (no deadline: a loaded machine is slow) -

YAMLISH = st.lists(st.sampled_from(list("abcxyz:{}[]-,&*!? \n\t'\"#.0123456789æøå%") + [
    "name", "parameters", "delays", "projection", "calibration", "sapa.knee.rate", "ky", ".nan", "2019-01-01",
    "description", "kommune", "year", "amount_dkk", "sapa"]), max_size=200).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=YAMLISH)
def test_fuzz_the_scenario_loader(tmp_path, text):
    try:
        load_scenario(_scenario(tmp_path, text))
    except SapaError as exc:
        assert str(exc) and len(str(exc)) < 5_000


CSVISH = st.lists(st.sampled_from(list(";,.\n 0123456789-\ufeff\"'xæ") + [
    "kommune", "year", "population", "Aarhus", "Læsø", "2027", "370000", "370.000"]), max_size=150).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=CSVISH)
def test_fuzz_the_forecast_reader(tmp_path, text):
    try:
        table = _forecast(tmp_path, text)
        assert (table.fillna(1).to_numpy() > 0).all()
    except SapaError as exc:
        assert str(exc) and len(str(exc)) < 5_000


ARGS = st.lists(st.sampled_from(["--kommune", "--jobs", "--timeout", "--budget-year", "--unit", "--prices", "--out",
                                 "--scenario", "Aarhus", "751", "0", "-1", "nan", "inf", "1e400", "²", "2027",
                                 "1000", "", "x" * 300, "--quiet", "--national"]), max_size=8)


@settings(max_examples=200, deadline=None)
@given(argv=ARGS)
def test_fuzz_the_cli_argument_parsing(argv):
    parser = _parser()
    parser.exit = lambda status=0, message=None: (_ for _ in ()).throw(SystemExit(status))  # no printing
    parser.error = lambda message: (_ for _ in ()).throw(SystemExit(2))
    for sub in parser._subparsers._group_actions[0].choices.values():
        sub.error = parser.error
    try:
        args = parser.parse_args(["reports", *argv])
    except SystemExit as exc:
        assert exc.code == 2
        return
    assert args.jobs >= 0 and np.isfinite(args.timeout) and 0 < args.timeout <= 3600


@settings(deadline=None)
@given(st.text(max_size=30))
def test_fuzz_the_argument_types(text):
    for kind in (whole, seconds):
        try:
            value = kind(text)
        except argparse.ArgumentTypeError:
            continue
        assert np.isfinite(value)


def test_the_fuzzing_stayed_within_a_few_hundred_megabytes():
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 2_000_000  # kB: the whole test process


def test_calibration_files_are_read_defensively(tmp_path):
    path = tmp_path / "fakturaer.csv"
    path.write_bytes(b"kommune;year;component;amount_dkk;reference\n" + b"Aarhus;2021;sapa;1.0e+308;x\n")
    with pytest.raises(ScenarioError, match="amount_dkk"):
        scenario_from_data({"name": "x", "calibration_file": str(path)})
    with pytest.raises(ScenarioError, match="is larger than 5 MB"):
        big = tmp_path / "big.csv"
        big.write_bytes(b"kommune;year;component;amount_dkk;reference\n" + b"x" * 5_100_000)
        scenario_from_data({"name": "x", "calibration_file": str(big)})


# -- XLSX bombs and files that are no files: refused before any spreadsheet parsing, quickly, in little memory ----

def _xlsx(tmp_path, name="f.xlsx", rows=(("kommune", "year", "population"), ("Odense", 2028, 210000))) -> Path:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(list(row))
    path = tmp_path / name
    book.save(path)
    return path


def _replace_part(path: Path, part: str, content: bytes | None = None, stream=None) -> None:
    """Rewrite one part of an XLSX file (a zip), deflated; `stream` yields the content in pieces."""
    with zipfile.ZipFile(path) as old:
        parts = {i.filename: old.read(i) for i in old.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for filename, data in parts.items():
            if filename != part:
                new.writestr(filename, data)
        with new.open(part, "w") as out:
            for piece in stream or [content]:
                out.write(piece)


def _refused_quickly(path: Path, message: str) -> None:
    tracemalloc.start()
    try:
        with cpu_seconds_at_most(20), pytest.raises(SapaError, match=message):
            read_forecast(path, 2027, 2040)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 60_000_000, peak


def test_an_xlsx_that_unpacks_to_gigabytes_is_refused_before_unpacking(tmp_path):
    path = _xlsx(tmp_path)  # one shared string of 200 MB: a few hundred kilobytes packed
    text = (b"A" * 1_000_000 for _ in range(200))
    _replace_part(path, "xl/sharedStrings.xml",
                  stream=[b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>', *text,
                          b"</t></si></sst>"])
    assert path.stat().st_size < MAX_BYTES
    _refused_quickly(path, "unpacks to more than 20 MB")


def test_a_sheet_of_a_million_cells_is_refused_while_it_streams(tmp_path):
    path = _xlsx(tmp_path)
    row = b"<c/>" * 1_000_000  # 4 MB unpacked, within the size limit: the cell count stops it
    _replace_part(path, "xl/worksheets/sheet1.xml",
                  b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                  b'<row r="1">' + row + b"</row></sheetData></worksheet>")
    _refused_quickly(path, "has more than 500.000 cells")


def test_an_xlsx_whose_index_understates_a_part_cannot_unpack_more_than_it_says(tmp_path):
    path = _xlsx(tmp_path)
    _replace_part(path, "xl/sharedStrings.xml", b'<sst><si><t>' + b"A" * 30_000_000 + b"</t></si></sst>")
    data = bytearray(path.read_bytes())  # claim 1 kB unpacked, in the local header and in the central directory
    start = data.index(b"xl/sharedStrings.xml") - 30
    central = data.rindex(b"xl/sharedStrings.xml") - 46
    data[start + 22:start + 26] = data[central + 24:central + 28] = (1000).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    _refused_quickly(path, "not a readable XLSX workbook|is damaged")


@pytest.mark.parametrize("sheet,message", [
    (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inl',
     "is damaged \\(its XML is cut off or broken\\)"),
    (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
     b'<worksheet><sheetData><row><c t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>',
     "declares a DTD or entities"),
])
def test_a_damaged_or_entity_laden_sheet_is_refused_with_a_message(tmp_path, sheet, message):
    path = _xlsx(tmp_path)
    _replace_part(path, "xl/worksheets/sheet1.xml", sheet)
    _refused_quickly(path, message)


def test_files_that_are_no_regular_files_are_refused_without_hanging(tmp_path):
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)  # opening a pipe for reading would wait for a writer for ever
    (tmp_path / "zero.csv").symlink_to("/dev/zero")  # endless
    (tmp_path / "loop.csv").symlink_to(tmp_path / "loop.csv")
    (tmp_path / "folder.csv").mkdir()
    for name, message in [("fifo.csv", "is not a regular file"), ("zero.csv", "is not a regular file"),
                          ("loop.csv", "is a link that leads in a circle"), ("folder.csv", "is a folder"),
                          ("missing.csv", "does not exist")]:
        with pytest.raises(SapaError, match=message):
            read_forecast(tmp_path / name, 2027, 2040)
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    with pytest.raises(ScenarioError, match="leads in a circle"):
        load_scenario(tmp_path / "loop.yaml")


def test_a_file_that_is_no_table_is_never_quoted(tmp_path):
    environ = Path("/proc/self/environ").read_bytes()
    (tmp_path / "fakturaer.csv").symlink_to("/proc/self/environ")  # says it is empty; holds the environment
    with pytest.raises(ScenarioError) as caught:
        scenario_from_data({"name": "x", "calibration_file": "fakturaer.csv"}, str(tmp_path / "s.yaml"))
    message = str(caught.value)
    assert "needs the columns kommune, year, component, amount_dkk" in message and "in its first row" in message
    first = environ.split(b"\0")[0].decode(errors="replace")
    assert first[:10] not in message and first.split("=")[0] not in message
    # A table of the kind asked for, with one column misnamed, is shown: it helps, and it is the user's table.
    (tmp_path / "f.csv").write_text("kommune;year;folk\nAarhus;2027;1\n")
    with pytest.raises(SapaError, match="missing: population \\(its header is 'kommune, year, folk'\\)"):
        read_forecast(tmp_path / "f.csv", 2027, 2040)


# -- YAML read with YAML 1.2's number rules; no tags; a name is text -----------------------------------------

@pytest.mark.parametrize("text,parameter,value", [
    ("parameters: {sapa.knee.threshold: 0150000}", "sapa.knee.threshold", 150_000),  # YAML 1.1: octal 53 248
    ("delays: {ky: 012}", "old_model.events.ky.delay", 12),  # YAML 1.1: octal 10
    ("parameters: {sapa.knee.threshold: 1.5e5}", "sapa.knee.threshold", 150_000),  # YAML 1.1: the text '1.5e5'
    ("parameters: {sapa.knee.rate: 0.25}", "sapa.knee.rate", 0.25),
])
def test_numbers_in_a_scenario_are_read_as_written(tmp_path, text, parameter, value):
    scenario = load_scenario(_scenario(tmp_path, f"name: x\n{text}\n"))
    assert scenario.params.value(parameter, "2022-01-01") == value


@pytest.mark.parametrize("text,message", [
    ("parameters: {sapa.knee.threshold: 41:40:00}", "'41:40:00' is text; sapa.knee.threshold takes a number"),
    ("parameters: {sapa.knee.threshold: 1_000}", "'1_000' is text"),
    ("parameters: {vat.basis: no}", "'no' is not allowed"),  # YAML 1.1: false
    ("description: !!binary aGVsbG8=", r"YAML tags \(!!binary\) are not allowed"),
    ("description: !!python/object/apply:os.system [ls]", r"YAML tags \(!!python/object/apply:os.system\)"),
    ("parameters: {sapa.knee.threshold: !!float 1}", r"YAML tags \(!!float\) are not allowed"),
])
def test_what_yaml_1_1_would_read_as_a_number_or_a_tag_is_refused_with_a_message(tmp_path, text, message):
    with pytest.raises(ScenarioError, match=message):
        load_scenario(_scenario(tmp_path, f"name: x\n{text}\n"))


@pytest.mark.parametrize("text,message", [
    ("name: [1, 2]", "'name' must be text, not a list"),
    ("name: x\ndescription: {a: 1}", "'description' must be text, not a mapping"),
    ("name: true", "'name' must be text, not true/false"),
    ("name: 2027", "'name' must be text, not a number; write it in quotes"),
])
def test_a_name_or_description_that_is_no_text_is_refused_not_stringified(tmp_path, text, message):
    with pytest.raises(ScenarioError, match=message) as caught:
        load_scenario(_scenario(tmp_path, text + "\n"))
    assert "'name' is missing" not in str(caught.value)


def test_yes_is_a_word_and_the_shipped_parameter_files_read_the_same_under_both_yaml_versions(tmp_path):
    import yaml

    from sapa_model.parameters.loader import PARAMETER_DIR, read_yaml

    assert load_scenario(_scenario(tmp_path, "name: yes\ndescription: no\n")).name == "yes"
    for path in sorted(PARAMETER_DIR.glob("*.yaml")):
        assert read_yaml(path) == yaml.safe_load(path.read_text(encoding="utf-8")), path.name


# -- every amount, delay and count bounded and finite, on every path ---------------------------------------

def test_an_invoice_of_1e308_is_refused_and_never_gives_inf(tmp_path):
    invoice = {"kommune": "Aarhus", "year": 2021, "component": "sapa", "reference": "r"}
    for amount in (1e308, 1e12, float("inf"), np.float64("nan"), -5):
        with pytest.raises(ScenarioError, match="amount_dkk"):
            scenario_from_data({"name": "x", "calibration": [{**invoice, "amount_dkk": amount}]})
    path = tmp_path / "stor.yaml"
    path.write_text("name: x\ncalibration:\n  - {kommune: Aarhus, year: 2021, component: sapa, amount_dkk: 1e308, "
                    "reference: r}\n")
    result = sapa("budget", "Aarhus", "--scenario", str(path))
    assert result.returncode == 2 and "at most 1.000.000.000 kr." in result.stderr and "inf" not in result.stdout


@pytest.mark.parametrize("value", [np.float32("nan"), np.float64("inf"), decimal.Decimal("NaN"),
                                   decimal.Decimal("1e400"), np.int64(10**15), 10**400, b"0.5", [0.5], {0.5},
                                   np.bool_(True)])
def test_numpy_and_decimal_values_get_the_same_checks_as_floats(value):
    with pytest.raises(ScenarioError, match="sapa.knee.rate"):
        scenario_from_data({"name": "x", "parameters": {"sapa.knee.rate": value}})


def test_numpy_and_decimal_numbers_in_range_are_taken_as_numbers():
    for value in (np.float32(0.25), decimal.Decimal("0.25"), np.int64(0)):
        scenario = scenario_from_data({"name": "x", "parameters": {"sapa.knee.rate": value}})
        assert scenario.params.value("sapa.knee.rate", "2022-01-01") == float(value)
    scenario = scenario_from_data({"name": "x", "delays": {"ky": np.int64(12)}})
    assert scenario.params.value("old_model.events.ky.delay") == 12


@pytest.mark.parametrize("delays,message", [({"ky": 10**9}, "from 0 to 120"), ({"ky": -3}, "from 0 to 120"),
                                            ({"ky": {"6": 121}}, "from 0 to 120"), ({"ky": 2.5}, "whole number")])
def test_delays_are_bounded(delays, message):
    with pytest.raises(ScenarioError, match=message):
        scenario_from_data({"name": "x", "delays": delays})


@pytest.mark.parametrize("draws", [10**6, 100_001, 0, -1, "abc", float("nan"), 2.5, True, None.__class__, [10]])
def test_risk_refuses_draws_outside_the_documented_range_naming_it(draws):
    with cpu_seconds_at_most(5), pytest.raises(SapaError, match="draws must be a whole number from 1 to 100000"):
        risk(draws=draws)  # refused before any work


@pytest.mark.parametrize("seed", [-1, "abc", float("inf"), 1.5])
def test_risk_refuses_a_seed_that_is_no_whole_number(seed):
    with pytest.raises(SapaError, match="seed must be a whole number"):
        risk(draws=10, seed=seed)


def test_risk_takes_numpy_whole_numbers():
    assert risk(draws=np.int64(10), seed=np.int64(1), years=[2022]).attrs["draws"] == 10


@pytest.mark.parametrize("scenario", [123, b"x", {}, ["a.yaml"], 1.5])
def test_compute_answers_a_scenario_of_the_wrong_kind_naming_what_is_allowed(scenario):
    with pytest.raises(SapaError, match="a scenario is None \\(the baseline\\), a scenario file's path or a Scenario"):
        compute(scenario=scenario)


@pytest.mark.parametrize("items", [[5], ["x"], [None], [[1, 2]]])
def test_calibration_items_that_are_no_mappings_are_named(items):
    with pytest.raises(ScenarioError, match="calibration item 1: expected kommune, year, component"):
        scenario_from_data({"name": "x", "calibration": items})


def test_a_computation_that_would_give_a_non_finite_amount_stops_with_a_message(monkeypatch):
    import sapa_model.engine as engine

    monkeypatch.setattr(engine, "buffet", lambda grid, *_: np.full(grid.population.shape[:1] + (len(grid.months),), np.inf))
    with pytest.raises(ScenarioError, match="not finite numbers \\(old buffet, new buffet\\)"):
        compute()


# -- the CLI: one line and exit code 2 for what used to be a trace or a silent wrong answer ---------------------

def test_link_loops_are_named_for_scenario_out_and_calibrate(tmp_path):
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    (tmp_path / "outloop").symlink_to(tmp_path / "outloop")
    (tmp_path / "inv.csv").symlink_to(tmp_path / "inv.csv")
    for args, message in [
        (["budget", "Aarhus", "--scenario", str(loop)], "loop.yaml is a link that leads in a circle"),
        (["reports", "--kommune", "Læsø", "--scenario", str(loop), "--out", str(tmp_path / "o")],
         "loop.yaml is a link that leads in a circle"),
        (["reports", "--kommune", "Læsø", "--out", str(tmp_path / "outloop")], "it is a link that leads nowhere or in a circle"),
        (["calibrate", str(tmp_path / "inv.csv"), "--out", str(tmp_path / "x.yaml")], "inv.csv is a link that leads"),
    ]:
        result = sapa(*args)
        assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr, args


@pytest.mark.parametrize("level", ["999999", "0", "1900", "2200", "2013"])
def test_a_price_level_outside_the_index_and_the_models_years_is_refused(level):
    result = sapa("budget", "Aarhus", "--scenario", "scenarios/pl_index_template.yaml", "--prices", level)
    if level == "2013":  # the index's base year: the first level that exists
        assert result.returncode == 0, result.stderr
        return
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"the price level (--prices) {level} must be a year from 2013" in result.stderr


def test_an_invoice_file_with_a_header_and_no_rows_is_named(tmp_path):
    empty = tmp_path / "tom.csv"
    empty.write_text("kommune;year;component;amount_dkk;reference\n")
    result = sapa("calibrate", str(empty), "--out", str(tmp_path / "x.yaml"))
    assert result.returncode == 2 and "tom.csv has no invoices, only its header" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "x.yaml").exists()


@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_calibrate_names_a_full_disk_or_a_read_only_target_and_leaves_nothing(tmp_path, monkeypatch, capsys, error):
    from sapa_model import cli, files

    target = tmp_path / "min.yaml"
    target.write_text("the user's earlier file\n")

    def refuse(*_):
        raise OSError(error, os.strerror(error))

    monkeypatch.setattr(files.os, "replace", refuse)
    code = cli.main(["calibrate", str(ROOT / "scenarios" / "fakturaer_eksempel.csv"), "--out", str(target)])
    err = capsys.readouterr().err
    assert code == 2 and f"cannot write {target}: {os.strerror(error)}; nothing was written" in err
    assert target.read_text() == "the user's earlier file\n" and not list(tmp_path.glob(".*partial"))


CTRL_C_WHILE_LOADING = """
import builtins, os, signal, sys
real = builtins.__import__
def interrupted(name, *args, **kwargs):
    if name == "pandas":  # Ctrl-C while the libraries load, before any work
        os.kill(os.getpid(), signal.SIGINT)
    return real(name, *args, **kwargs)
from sapa_model.cli import main
assert "pandas" not in sys.modules  # the command starts without waiting for the libraries
builtins.__import__ = interrupted
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("args", [["budget", "Aarhus"], ["reports", "--kommune", "Læsø", "--quiet"]])
def test_ctrl_c_while_the_libraries_load_ends_with_a_line_not_a_trace(tmp_path, args):
    result = subprocess.run([sys.executable, "-c", CTRL_C_WHILE_LOADING, *args, *(
        ["--out", str(tmp_path / "o")] if args[0] == "reports" else [])], capture_output=True, text=True,
        cwd=ROOT, timeout=300)
    assert result.returncode == 130 and "sapa: afbrudt" in result.stderr and "Traceback" not in result.stderr


def test_many_unknown_municipalities_are_answered_in_one_short_line(tmp_path):
    names = [f"--kommune=ukendt{i}" for i in range(200)]
    result = sapa("reports", "--out", str(tmp_path / "o"), *names)
    assert result.returncode == 2 and "and 195 more unknown ones" in result.stderr
    assert len(result.stderr) < 1_000 and result.stderr.count("\n") == 1


def test_names_and_references_cannot_steer_the_terminal(tmp_path):
    hostile = "Rød\x1b[2J\x1b[31m\u202eevil\r"
    scenario = tmp_path / "s.yaml"
    scenario.write_text(f'name: "{hostile.encode("unicode_escape").decode()}"\n', encoding="utf-8")
    result = sapa("budget", "Aarhus", "--scenario", str(scenario))
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout and "\r" not in result.stdout
    assert "Rød\\x1b[2J\\x1b[31m\\u202eevil." in result.stdout  # shown, as visible escapes
    invoices = tmp_path / "fakturaer.csv"
    invoices.write_text("kommune;year;component;amount_dkk;reference\nAarhus;2021;sapa;3.500.000;F-1\x1b[8m\u2066\n",
                        encoding="utf-8")
    result = sapa("calibrate", str(invoices), "--out", str(tmp_path / "x.yaml"))
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout + result.stderr and "\u2066" not in result.stdout and "F-1\\x1b[8m" in result.stdout


# -- a row with more fields than its header: a separator inside a value (a decimal comma in a comma-separated file)

DECIMAL_COMMA = "kommune,year,component,amount_dkk,reference\nLæsø,2026,sapa,2103,75,a\n"
SHIFTED = ("row 2 has 6 fields, the header 5: a decimal comma in a comma-separated file? Separate with ; or put the "
           "amount in quotes")


def _table(tmp_path, text: str, name="f.csv"):
    from sapa_model.data.tables import read_user_table

    (tmp_path / name).write_text(text, encoding="utf-8")
    return read_user_table(tmp_path / name, {"kommune": (), "amount_dkk": ()}, "invoice file",
                           optional={"reference": ()})


def test_a_decimal_comma_in_a_comma_separated_invoice_is_refused_naming_the_row(tmp_path):
    (tmp_path / "f.csv").write_text(DECIMAL_COMMA, encoding="utf-8")
    result = sapa("calibrate", str(tmp_path / "f.csv"), "--out", str(tmp_path / "x.yaml"))
    assert result.returncode == 2 and not (tmp_path / "x.yaml").exists()
    assert result.stderr == f"sapa: error: invoice file f.csv: {SHIFTED}\n"


def test_a_row_as_wide_as_its_header_is_read_and_one_field_more_is_refused(tmp_path):
    header = "kommune,year,component,amount_dkk,reference\n"
    quoted = _table(tmp_path, header + 'Læsø,2026,sapa,"2103,75",a\nLæsø,2026,sapa,1,\n')  # 5 fields each: read
    assert quoted[["amount_dkk", "reference", "row"]].values.tolist() == [["2103,75", "a", 2], ["1", "", 3]]
    assert _table(tmp_path, header + "Læsø,2026,sapa\n")["reference"].tolist() == [""]  # fewer: the rest empty
    with pytest.raises(SapaError, match="^invoice file f.csv: row 3 has 6 fields, the header 5: a decimal comma"):
        _table(tmp_path, header + "Læsø,2026,sapa,1,a\nLæsø,2026,sapa,2103,75,\n")  # an empty sixth field too


def test_every_row_too_wide_is_counted_and_the_rows_keep_their_numbers_past_a_blank_line(tmp_path):
    text = "kommune;amount_dkk;reference\nLæsø;1;a\n\nLæsø;2;b;x\nLæsø;3;c;y;z\n"
    message = ("invoice file f.csv: row 4 has 4 fields, the header 3 (1 other row has more than 3 too): a ; inside a "
               "value? Put that value in quotes")
    with pytest.raises(SapaError, match=f"^{re.escape(message)}$"):
        _table(tmp_path, text)
    assert _table(tmp_path, "kommune;amount_dkk\n\nLæsø;1\n\nLæsø;2\n")["row"].tolist() == [3, 5]
    with pytest.raises(SapaError, match="row 2 has 3 fields, the header 2: a tab inside a value"):
        _table(tmp_path, "kommune\tamount_dkk\nLæsø\t1\t5\n")


def test_forecasts_and_price_files_refuse_a_row_wider_than_their_header(tmp_path):
    with pytest.raises(SapaError, match="forecast file f.csv: row 2 has 4 fields, the header 3: a decimal comma"):
        _forecast(tmp_path, "kommune,year,population\nAarhus,2027,380000,5\n")
    (tmp_path / "priser.csv").write_text("component,year,price,reference\nsapa,2027,14,10,Prisbrev\n",
                                         encoding="utf-8")
    with pytest.raises(ScenarioError, match="price file priser.csv: row 2 has 5 fields, the header 4: a decimal comma"):
        scenario_from_data({"name": "x", "prices_file": str(tmp_path / "priser.csv")})
