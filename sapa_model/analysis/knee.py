"""What the knee discount does: who it helps, what it costs the others, the price per inhabitant it gives."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..data import datasets
from ..engine import compute, months_billed, price_per_inhabitant
from ..scenarios import Scenario, load_scenario
from .budget import round_to
from .compare import person_years
from .memo import per_scenario

KNEES = {"sapa": "sapa.knee", "infrastructure": "infrastructure.knee"}  # the payments with a knee, and its parameters


@per_scenario
def knee_effect(scenario: Scenario | None, years: Iterable[int]) -> pd.DataFrame:
    """Per municipality: new-model SAPA with the knee and without it, the same total redistributed over every
    inhabitant alike (each year's total is what the year's price, derived, announced or invoiced, brings in), and
    the difference; negative = the knee saves the municipality money. kr. and kr. per inhabitant per year.
    Computed once per process (or once per build: memo.save_results)."""
    years = list(years)
    table = compute(scenario, years)
    rows = table[(table["model"] == "new") & (table["component"] == "sapa")]
    months = pd.concat([months_billed(y, scenario).rename(y) for y in years], axis=1).stack()
    flat_units = (
        rows.set_index(["kommunekode", "year"])["population"]
        * months.reindex(rows.set_index(["kommunekode", "year"]).index).to_numpy()
        / 12
    )
    revenue = rows.groupby("year")["amount_dkk"].transform("sum").to_numpy()
    without = revenue * flat_units.to_numpy() / flat_units.groupby(level="year").transform("sum").to_numpy()
    per_municipality = rows.assign(without_knee=without).groupby("kommunekode")[["amount_dkk", "without_knee"]].sum()
    names = datasets.municipalities()[["kommune", "region"]]
    result = names.assign(with_knee=per_municipality["amount_dkk"], without_knee=per_municipality["without_knee"])
    result["effect"] = result["with_knee"] - result["without_knee"]
    result["effect_per_inhabitant"] = result["effect"] / person_years(table)
    result["above_threshold"] = table.groupby("kommunekode")["population"].max() > float(
        load_scenario(scenario).params.value("sapa.knee.threshold", f"{max(years)}-01-01")
    )
    return result.reset_index().sort_values("effect", ignore_index=True)


def infrastructure_knee_effect(table: pd.DataFrame, year: int, scenario: Scenario | None = None) -> pd.DataFrame:
    """Per municipality in one year: infrastructure bill with its knee, at full price for every inhabitant,
    and the saving (kr.); the total price is fixed, so the knee lowers KOMBIT's revenue."""
    params = load_scenario(scenario).params
    rows = table[(table["component"] == "infrastructure") & (table["model"] == "new") & (table["year"] == year)]
    full = rows["population"] * params.value("infrastructure.price_per_inhabitant", f"{year}-01-01")
    return (
        rows[["kommunekode", "kommune", "population"]]
        .assign(
            with_knee=rows["amount_dkk"].to_numpy(),
            without_knee=full.to_numpy(),
            saving=(full - rows["amount_dkk"]).to_numpy(),
        )
        .sort_values("saving", ascending=False, ignore_index=True)
    )


def effective_price_curve(
    table: pd.DataFrame,
    year: int,
    scenario: Scenario | None = None,
    max_population: int = 700_000,
    points_on_curve: int = 300,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Effective price per inhabitant (kr.) against population, for SAPA (new model) and the infrastructure in
    a year: a curve from 1 000 to max_population, and the municipalities as points; column `component`."""
    params = load_scenario(scenario).params
    day = f"{year}-01-01"
    prices = {
        "sapa": table.attrs["sapa_price"][year],
        "infrastructure": params.value("infrastructure.price_per_inhabitant", day),
    }
    population = np.linspace(1_000, max_population, points_on_curve)
    people = table[(table["year"] == year)].drop_duplicates("kommunekode")
    curves, points = [], []
    for component, price in prices.items():
        threshold, rate = (
            params.value(f"{KNEES[component]}.threshold", day),
            params.value(f"{KNEES[component]}.rate", day),
        )
        curves.append(
            pd.DataFrame(
                {
                    "population": population,
                    "component": component,
                    "price": price_per_inhabitant(population, threshold, rate, price),
                }
            )
        )
        points.append(
            people[["kommune", "population"]].assign(
                component=component, price=price_per_inhabitant(people["population"], threshold, rate, price)
            )
        )
    return pd.concat(curves, ignore_index=True), pd.concat(points, ignore_index=True)


def knee_explorer_data(table: pd.DataFrame, year: int, scenario: Scenario | None = None) -> tuple[pd.DataFrame, float]:
    """Per municipality for the browser explorer: population, months billed in the year, new-model SAPA (kr.);
    and the year's national SAPA revenue (kr.) that the explorer keeps fixed."""
    rows = table[(table["model"] == "new") & (table["component"] == "sapa") & (table["year"] == year)]
    months = months_billed(year, scenario).reindex(rows["kommunekode"]).to_numpy()
    data = rows[["kommune", "population"]].assign(months=months, baseline=rows["amount_dkk"].to_numpy())
    return data.reset_index(drop=True), float(rows["amount_dkk"].sum())


def knee_summary(scenario: Scenario | None, table: pd.DataFrame, year: int) -> dict:
    """Who the knee helps in a year and what it costs the others, as a report shows it: `above` (knee_effect's
    rows for the municipalities above the knee, amounts in whole kroner), their `saving` and the others'
    `extra` (kr., sums of the rounded amounts, so a sentence agrees with the table to the krone), the others'
    `rest_population` (inhabitants) and `rest_per_inhabitant` (kr.)."""
    effect = knee_effect(scenario, [year])
    amounts = ["with_knee", "without_knee", "effect"]
    effect[amounts] = round_to(effect[amounts], 1)
    above, rest = effect[effect["above_threshold"]], effect[~effect["above_threshold"]]
    people = table[table["year"] == year].drop_duplicates("kommunekode").set_index("kommunekode")["population"]
    rest_population = int(people.drop(above["kommunekode"]).sum())
    return {
        "above": above.reset_index(drop=True),
        "rest_count": len(rest),
        "saving": float(-above["effect"].sum()),
        "extra": float(rest["effect"].sum()),
        "rest_population": rest_population,
        "rest_per_inhabitant": float(rest["effect"].sum()) / rest_population,
    }
