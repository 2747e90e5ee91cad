"""The analyses' tables with Danish headings, months and totals, as reports, notebooks and exports show them."""

from __future__ import annotations

import pandas as pd

from ..analysis import lines as budget
from ..analysis.budget import KRONER, Basis
from ..scenarios import Scenario
from . import fmt
from .labels import COMPONENT, LINE, TOTAL_ROW

GUIDE_COLUMNS = {"kommunekode": "Kommunekode", "kommune": "Kommune"}


def lines_table(wide: pd.DataFrame, unit: int | None = 1) -> pd.DataFrame:
    """Budget lines (analysis.lines.lines) headed in Danish: 'SAPA, ny model', …, 'Forskel (ny − gammel)'."""
    return budget.lines(wide, unit).rename(columns=LINE)


def invoices(
    kommune: int | str,
    year: int,
    scenario: Scenario | None = None,
    basis: Basis = KRONER,
    unit: int | None = 1,
    fold: bool = False,
) -> pd.DataFrame:
    """One municipality's invoices per month as budget lines headed in Danish, indexed by Danish month; with
    `fold`, months in a row with the same amounts as one row ('januar-december 2027', the amount of each)."""
    table = budget.invoice_lines(kommune, year, scenario, basis, unit).rename(columns=LINE)
    if fold:
        return fold_months(table)
    table.index = pd.Index([fmt.month(m.date()) for m in table.index], name="Måned")
    return table


def fold_months(months: pd.DataFrame) -> pd.DataFrame:
    """Months in a row with the same amounts in every column as one row, 'januar-december 2027', keeping each
    month's amounts (a table of invoices reads in a few lines, on a phone too). `months`: indexed by month
    (Timestamps), as analysis.lines.invoice_lines gives them."""
    run = (months != months.shift()).any(axis=1).cumsum().to_numpy()
    spans = months.index.to_series().groupby(run).agg(["first", "last"])
    folded = months.groupby(run).first()
    folded.index = pd.Index(
        [
            fmt.month(a.date()) if a == b else f"{fmt.MONTHS[a.month - 1]}-{fmt.month(b.date())}"
            for a, b in zip(spans["first"], spans["last"])
        ],
        name="Måned",
    )
    return folded


def monthly_rows(kommune: int | str, year: int, scenario: Scenario | None = None, basis: Basis = KRONER):
    """One municipality's monthly invoices (kr.), tidy, with Danish month and component names."""
    rows = budget.monthly_basis(kommune, year, scenario, basis)
    return rows.assign(
        Måned=rows["month"].map(lambda m: fmt.month(m.date())), Komponent=rows["component"].map(COMPONENT)
    )


def guide_table(guide: pd.DataFrame) -> pd.DataFrame:
    """A budget guide (analysis.lines.budget_guide) as printed: Kommunekode, Kommune, a column per year, and a
    last row 'I alt' that is the sum of the rows shown."""
    rounded = guide.copy()
    rounded.columns = [str(c) for c in rounded.columns]
    frame = rounded.reset_index().rename(columns=GUIDE_COLUMNS)
    total = pd.DataFrame([{"Kommunekode": None, "Kommune": TOTAL_ROW, **rounded.sum().to_dict()}])
    # codes and rounded amounts are whole numbers; the total row has no code
    whole = {"Kommunekode": "Int64", **dict.fromkeys(rounded.columns, "int64")}
    return pd.concat([frame, total], ignore_index=True).astype(whole)
