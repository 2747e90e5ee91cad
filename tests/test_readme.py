"""The README's facts and commands are the package's: numbers read from the parameters, commands that run."""

import re
import subprocess
import sys

import pandas as pd
import pytest

from conftest import ROOT
from sapa_model import baseline, compute, load_scenario
from sapa_model.parameters import STATUSES

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_model_section_states_the_parameters_values():
    params = baseline()
    threshold, rate = (params.parameters[f"sapa.knee.{n}"].values[-1] for n in ("threshold", "rate"))
    assert f"T = {threshold:,.0f}".replace(",", " ") in README and f"r = {rate:g}" in README
    start = pd.Timestamp(params.value("billing.earliest_start"))
    assert f"never before\n  {start.day} {start:%B} {start.year}" in README
    infrastructure = params.parameters["infrastructure.price_per_inhabitant"]
    assert f"{infrastructure.values[-1]:g} kr. per knee-weighted inhabitant" in README
    first = next(d for d, v in zip(infrastructure.dates, infrastructure.values) if v > 0)
    assert f"from {first.astype(object).year}, all 98" in README
    buffet = params.parameters["buffet.price_per_inhabitant"].values
    assert " / ".join(f"{v:.2f}" for v in buffet) in README  # English decimals: the README is in English
    cuts = [params.parameters[f"kmd_sag.reduction.{e}"].values[-1] for e in ("ksd", "ky", "udk")]
    assert "reduced by {:g} % (KSD), {:g} % (KY), {:g} % (UDK)".format(*(100 * c for c in cuts)) in README
    approved = pd.Timestamp(params.value("new_model.approved_on"))
    assert f"approved by SAPA's municipal steering group on {approved.day} {approved:%B} {approved.year}" in README


def test_every_status_is_explained():
    for status in STATUSES:
        assert f"`{status}`" in README.split("## The model")[1], status


def test_the_calibration_walkthrough_runs_as_written(tmp_path):
    """The commands of "Entering KOMBIT's prices", run as printed: the example invoices give a scenario that
    reproduces them."""
    block = README.split("### First: from the invoices you hold")[1].split("```sh")[1].split("```")[0]
    command = block.strip().split()
    assert command[:3] == [".venv/bin/sapa", "calibrate", "scenarios/fakturaer_eksempel.csv"]
    out = tmp_path / "min.yaml"
    result = subprocess.run([sys.executable, "-m", "sapa_model.cli", *command[1:-1], str(out)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    shown = re.search(r"kalibreret fra fakturaer: (\S+) i (\d{4})", README)
    assert f"{shown.group(1)} i {shown.group(2)}" in result.stdout
    invoices = pd.read_csv(ROOT / "scenarios/fakturaer_eksempel.csv", sep=";", thousands=".", decimal=",")
    assert invoices["reference"].str.startswith("EKSEMPEL").all()  # invented amounts say so
    table = compute(load_scenario(out), [2021])
    bills = table[(table["model"] == "new") & (table["component"] == "sapa")].set_index("kommune")["amount_dkk"]
    for row in invoices.itertuples():
        assert bills[row.kommune] == pytest.approx(row.amount_dkk, abs=0.01)


def test_the_measured_population_errors_the_readme_states_are_the_backtests():
    from sapa_model.data import population as people
    from sapa_model.views import fmt

    section = README.split("## The budget year's own uncertainty")[1].split("\n## ")[0]
    best = people.mean_error(people.best_method(5), 5)
    flat = people.mean_error("carry_forward", 5)
    assert people.best_method(5) == "trend" and "(now the trend:" in section
    assert f"{fmt.pct(best[0])} one year ahead, {fmt.pct(best[-1])} four years" in section.replace("\n  ", " ")
    assert f"errs {fmt.pct(flat[0])} and {fmt.pct(flat[-1])}" in section.replace("\n  ", " ")
