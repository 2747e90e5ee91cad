"""The whole bill under the monopoly-break delays: the national answer to 'does the total rise?', who became more
or less predictable, and one municipality's band."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from ..data import datasets
from ..engine import risk
from ..scenarios import Scenario
from .budget import round_to
from .memo import per_scenario


@per_scenario
def risk_table(scenario: Scenario | None, years: Iterable[int], draws: int | None = None) -> pd.DataFrame:
    """engine.risk() for a scenario and years, computed once per process (or once per build: memo.save_results)."""
    return risk(scenario, draws=draws, years=list(years))


def total_rise(risk_frame: pd.DataFrame) -> dict[str, float]:
    """'Does the total rise?' twice, over all the years of a risk table (kr., all municipalities): against the
    plan (the scenario's own timeline: no drawn delays) and against the drawn delays (expected, and the 5-95 %
    band)."""
    whole = risk_frame.attrs["national_period"].set_index(["model", "component"]).loc[("difference", "total")]
    return {
        "plan": float(whole["timeline"]),
        "expected": float(whole["mean"]),
        "p05": float(whole["p05"]),
        "p95": float(whole["p95"]),
    }


def predictability(risk_frame: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Per municipality: the 5-95 % spread of its whole bill (all four payments) under each model in its most
    uncertain year (kr.), the change (new - old: negative = the new model made the budget more predictable),
    and the change per inhabitant per year; sorted from the largest gain in predictability."""
    totals = risk_frame[risk_frame["component"] == "total"].assign(spread=lambda f: f["p95"] - f["p05"])
    worst = totals.pivot_table(index="kommunekode", columns="model", values="spread", aggfunc="max")
    result = (
        datasets.municipalities()[["kommune", "region"]]
        .loc[worst.index]
        .assign(old=worst["old"], new=worst["new"], change=worst["new"] - worst["old"])
    )
    result["change_per_inhabitant"] = result["change"] / table.drop_duplicates("kommunekode").set_index("kommunekode")[
        "population"
    ].reindex(result.index)
    return result.reset_index().sort_values("change", ignore_index=True)


def municipal_band(risk_frame: pd.DataFrame, code: int) -> pd.DataFrame:
    """One municipality's whole bill per year under each model: on the scenario's own timeline, expected over
    the drawn delays, and the 5-95 % band (kr.); and the difference new - old with its band."""
    rows = risk_frame[(risk_frame["kommunekode"] == code) & (risk_frame["component"] == "total")]
    band = rows[["year", "model", "timeline", "mean", "p05", "p95"]].reset_index(drop=True)
    band.attrs = {}  # the national figures: not the band's, and pandas would copy them at every step after
    return band


def as_budgeted(band: pd.DataFrame, shown: pd.DataFrame) -> pd.DataFrame:
    """A municipal band (municipal_band) in whole kroner as a report shows it: the bills on the scenario's own
    timeline are the budget lines of the budget table (`shown`: analysis.lines.lines in kroner, by year), and
    the expected difference is the expected new bill less the expected old one, as shown; so that every figure
    a report quotes agrees with its tables to the krone."""
    planned = {"old": shown["total_old"], "new": shown["total_new"], "difference": shown["difference"]}
    result = band.copy()
    for model, line in planned.items():
        rows = (result["model"] == model) & result["year"].isin(line.index)
        result.loc[rows, "timeline"] = result.loc[rows, "year"].map(line).to_numpy()
    amounts = ["timeline", "mean", "p05", "p95"]
    result[amounts] = round_to(result[amounts], 1)
    mean = result.pivot(index="year", columns="model", values="mean")  # the expected difference as shown: new - old
    rows = result["model"] == "difference"
    result.loc[rows, "mean"] = result.loc[rows, "year"].map(mean["new"] - mean["old"]).to_numpy()
    return result
