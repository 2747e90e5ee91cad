"""`sapa budget` in the terminal: the budget year and its overslagsår, tables that add up, the basis stated."""

import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT
from reports_fixture import EPOCH, sapa


def _table(stdout: str) -> dict[int, list[str]]:
    return {int(m.group(1)): m.group(2).split() for m in re.finditer(r"^(20\d\d)\s+(.*)$", stdout, re.M)}


def test_budget_prints_exactly_the_budget_year_and_its_overslagsaar():
    result = sapa("budget", "Ærø", "--budget-year", "2028")
    assert result.returncode == 0, result.stderr
    rows = _table(result.stdout)
    assert sorted(rows) == [2028, 2029, 2030, 2031]
    assert "kr., løbende priser, ekskl. moms" in result.stdout and "Budget 2028 og overslagsår 2029-2031" in result.stdout
    assert "illustrativ pladsholder" in result.stdout and "Knæksats, SAPA" in result.stdout
    assert "F V" in " ".join(rows[2031])  # projected population, prices carried forward


@pytest.mark.parametrize("unit", ["1", "1000"])
def test_every_total_in_the_terminal_is_the_sum_of_the_lines_shown(unit):
    result = sapa("budget", "Aarhus", "--years", "2019-2031", "--unit", unit)
    assert result.returncode == 0, result.stderr
    for year, cells in _table(result.stdout).items():
        sapa_new, sapa_old, infra, buffet, kmd, new, old, difference = (int(c.replace(".", "").replace("\u2212", "-")) for c in cells[:8])
        assert new == sapa_new + infra + buffet + kmd and old == sapa_old + infra + buffet + kmd, year
        assert difference == new - old, year


def test_the_budget_year_defaults_to_the_year_after_the_build_date():
    result = sapa("budget", "Læsø")  # reports_fixture fixes SOURCE_DATE_EPOCH at 28 November 2025
    assert sorted(_table(result.stdout)) == [2026, 2027, 2028, 2029]


@pytest.mark.parametrize("args,message", [
    (["--budget-year", "2039"], "budget year 2039 is outside 2019-2037"),
    (["--prices", "2027"], "a price level (--prices) needs a price index"),
])
def test_a_budget_option_the_model_cannot_honour_is_named(args, message):
    result = sapa("budget", "Læsø", *args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


# This process's own peak resident memory (VmHWM; ru_maxrss would also count the parent's, inherited at fork).
OWN_PEAK = "int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0]) * 1024"
PEAK = """
import sys, warnings
warnings.simplefilter("ignore")
import pandas, altair, sapa_model.views.notebook
from sapa_model.analysis.budget import default_budget_year, horizon
from sapa_model.analysis.risk import risk_table
from sapa_model.scenarios import load_scenario
scenario = load_scenario(None)
risk_table(scenario, list(horizon(default_budget_year(), scenario.params)), int(sys.argv[1]))
print(PEAK)
"""
WORKER = """
from sapa_model.analysis.budget import default_budget_year
from sapa_model.report.build import Settings, _tables, national_jobs
_tables(Settings(budget_year=default_budget_year())), national_jobs()
print(PEAK)
"""


def test_the_worker_memory_estimate_holds_a_worker_and_its_notebook_at_the_draws_cap():
    from sapa_model import baseline
    from sapa_model.cli import worker_memory

    cap, default = int(baseline()["montecarlo.draws"].maximum), int(baseline().value("montecarlo.draws"))
    peak = lambda code, *args: int(subprocess.run([sys.executable, "-c", code.replace("PEAK", OWN_PEAK), *args],
                                                  capture_output=True, text=True, check=True, cwd=ROOT,
                                                  timeout=600).stdout.split()[-1])
    worker, low, high = peak(WORKER), peak(PEAK, str(default)), peak(PEAK, str(3 * default))
    assert worker + low <= worker_memory(default)
    at_cap = high + (high - low) / (2 * default) * (cap - 3 * default)  # the notebook's peak grows with the draws
    assert worker + at_cap <= worker_memory(cap)  # measured directly, a notebook at the cap: ~1,1 GB


def test_fewer_workers_are_used_when_memory_holds_fewer_at_the_scenarios_draws(monkeypatch):
    from sapa_model.cli import usable_workers

    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert usable_workers(8, 10_000, free=2 * 2**30) == 4 and usable_workers(8, 100_000, free=2 * 2**30) == 1
    assert usable_workers(2, 10_000, free=2 * 2**30) == 2 and usable_workers(8, 100_000, free=0) == 1


def _reader_gone(*args: str, closed: str = "stdout") -> subprocess.CompletedProcess:
    """`sapa ARGS` with its stdout (or stderr) a pipe whose reader has gone before it writes, as `| head -1` leaves
    it: the first write meets a closed pipe, however fast or slow the machine."""
    read, write = os.pipe()
    os.close(read)
    other = subprocess.PIPE
    try:
        return subprocess.run([sys.executable, "-m", "sapa_model.cli", *args], cwd=ROOT, text=True, timeout=600,
                              stdout=write if closed == "stdout" else other,
                              stderr=write if closed == "stderr" else other,
                              env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH})
    finally:
        os.close(write)


FOLLOWUP = str(ROOT / "scenarios" / "fakturaer_opfoelgning_eksempel.csv")


@pytest.mark.parametrize("args", [
    ["budget", "Aarhus"],
    ["followup", "--invoices", FOLLOWUP],  # the national table
    ["followup", "Læsø", "--invoices", FOLLOWUP],
    ["calibrate", str(ROOT / "scenarios" / "fakturaer_eksempel.csv"), "--out", "OUT"],
])
def test_output_into_a_pipe_whose_reader_has_gone_ends_quietly_with_141(tmp_path, args):
    result = _reader_gone(*[str(tmp_path / "x.yaml") if a == "OUT" else a for a in args])
    assert (result.returncode, result.stderr) == (141, "")


def test_help_into_a_pipe_whose_reader_has_gone_ends_quietly():
    assert (_reader_gone("--help").returncode, _reader_gone("budget", "--help").stderr) == (0, "")  # argparse's 0


def test_an_error_into_a_pipe_whose_reader_has_gone_ends_quietly_with_141(tmp_path):
    result = _reader_gone("reports", "--kommune", "Nowhere", "--out", str(tmp_path / "o"), closed="stderr")
    assert (result.returncode, result.stdout) == (141, "") and not (tmp_path / "o").exists()


def test_a_broken_pipe_that_is_not_the_output_is_a_fault_not_a_reader_gone(monkeypatch, capfd):
    from sapa_model import cli

    def broken(_argv):
        print("written")
        raise BrokenPipeError(32, "Broken pipe")  # e.g. a worker's pipe; stdout and stderr are files, still open

    monkeypatch.setattr(cli, "_run", broken)
    with pytest.raises(BrokenPipeError):
        cli.main(["budget", "Aarhus"])
    assert capfd.readouterr().out == "written\n"
