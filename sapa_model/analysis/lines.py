"""Budget lines: a municipality's payments per year or month as a budget shows them (SAPA under each model, the
payments alike under both, the totals and the difference), rounded so that every total is the sum of its lines."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from ..components import SHARED
from ..engine import MODELS, monthly
from ..scenarios import Scenario, load_scenario
from .budget import KRONER, Basis, express, round_to

# The lines of a budget table, in order: what views.labels.LINE names in Danish.
PARTS = ("sapa_new", "sapa_old", *SHARED)
LINES = (*PARTS, "total_new", "total_old", "difference")


def budget_lines(table: pd.DataFrame, code: int) -> pd.DataFrame:
    """One municipality's yearly payments (kr.): rows year, columns (model, component) plus totals per model."""
    rows = table[table["kommunekode"] == code]
    rows.attrs = {}  # the table's provenance, which pandas would copy at every step of the pivot
    wide = rows.pivot_table(index="year", columns=["model", "component"], values="amount_dkk", observed=True)
    for model in MODELS:
        wide[(model, "total")] = wide[model].sum(axis=1)
    return wide.sort_index(axis=1)


def lines(wide: pd.DataFrame, unit: int | None = 1) -> pd.DataFrame:
    """The budget lines (columns LINES) from a (model, component) table. Each line is rounded on its own to the
    unit (1: kroner, 1000: 1.000 kr.; None: unrounded kroner), and the totals and the difference are sums of
    the rounded lines, so the table adds up as shown."""
    parts = pd.DataFrame(
        {"sapa_new": wide[("new", "sapa")], "sapa_old": wide[("old", "sapa")], **{c: wide[("new", c)] for c in SHARED}}
    )
    if unit is not None:
        parts = round_to(parts, unit)
    shared = parts[list(SHARED)].sum(axis=1)
    new, old = parts["sapa_new"] + shared, parts["sapa_old"] + shared
    return parts.assign(total_new=new, total_old=old, difference=new - old)


def headline(table: pd.DataFrame, code: int, year: int) -> dict:
    """What a municipal report opens with, for one year: its budget lines as the budget table shows them (kr.,
    each line rounded to whole kroner, the totals and the difference their sums), the total per inhabitant
    (kr., from the rounded total), the population on 1 January and whether it is projected."""
    shown = lines(budget_lines(table, code).loc[[year]]).iloc[0]
    rows = table[(table["kommunekode"] == code) & (table["year"] == year)]
    population = int(rows["population"].iloc[0])
    return {
        **{line: float(shown[line]) for line in LINES},
        "per_inhabitant": float(shown["total_new"]) / population,
        "population": population,
        "projected": bool(rows["population_projected"].any()),
    }


def monthly_basis(
    kommune: int | str, year: int | Iterable[int], scenario: Scenario | None = None, basis: Basis = KRONER
) -> pd.DataFrame:
    """One municipality's invoices for each month of a year or years (kr.), in the basis's price level and
    moms, with the year of each month."""
    rows = monthly(kommune, year, scenario)
    return express(rows.assign(year=rows["month"].dt.year), basis, load_scenario(scenario).params)


def invoice_lines(
    kommune: int | str, year: int, scenario: Scenario | None = None, basis: Basis = KRONER, unit: int | None = 1
) -> pd.DataFrame:
    """One municipality's invoices per month as budget lines (whole kroner by default), indexed by month."""
    rows = monthly_basis(kommune, year, scenario, basis)
    return lines(rows.pivot_table(index="month", columns=["model", "component"], values="amount_dkk"), unit)


def by_year(
    table: pd.DataFrame, model: str, components: Iterable[str] | None = None, years: Iterable[int] | None = None
) -> pd.DataFrame:
    """Municipalities (kommunekode, kommune) x years (kr.) for one model, summed over the components (all by
    default) and over the years given (all by default)."""
    rows = table[table["model"] == model]
    if components is not None:
        rows = rows[rows["component"].isin(list(components))]
    if years is not None:
        rows = rows[rows["year"].isin(list(years))]
    return rows.pivot_table(
        index=["kommunekode", "kommune"], columns="year", values="amount_dkk", aggfunc="sum", observed=True
    )


def budget_guide(table: pd.DataFrame, years: list[int], unit: int, model: str = "new") -> pd.DataFrame:
    """The table a budget guide prints: municipalities (kommunekode, kommune) x years, all components of one
    model, each amount rounded on its own to the unit; its total is the sum of these rows."""
    return round_to(by_year(table, model, years=years), unit)
