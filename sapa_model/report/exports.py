"""Tables for budget systems: CSV (Danish Excel dialect) and XLSX, with Danish column names, numbers as numbers.

Per municipality: `…-aar.csv` (one row per year, model and component), `…-maaned.csv` (the monthly invoices of
the current year, the budget year and its overslagsår, a row per month, the report's budget lines as columns)
and `….xlsx` (the report's budget table, both tables, and "Om tallene"). Nationally: `sapa-alle-kommuner.csv`
(every municipality, year, model and component), `sapa-budget-<år>.csv` (the budget-guide table) and
`sapa-alle-kommuner.xlsx` (the budget-guide table, municipalities x years per model, every line, and "Om
tallene"). Long tables are in kroner to the øre; budget tables are rounded as the report's tables are, and add
up. Every file states its price level and moms, and every row the least certain status it rests on; the
workbooks' yearly lines also name the values each rests on, by status.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis import lines as budget
from ..analysis.budget import Basis, budget_years, build_date, round_half_away
from ..analysis.followup import LINES
from ..components import NAMES as EVERY_COMPONENT
from ..engine import FLAGGED
from ..errors import ReportError
from ..files import atomic_path
from ..parameters import STATUSES, ParameterSet
from ..scenarios import Scenario
from ..version import __version__
from ..views import followup as followup_view
from ..views.fmt import join as fmt_join
from ..views.labels import COLUMNS, COMPONENT, FOLLOWUP, MODEL, MODEL_SHORT, STATUS
from ..views.presentation import carried_forward, data_vintage, unsourced_values
from ..views.tables import guide_table, lines_table
from ..views.terms import caption, level, price_basis_text, rounding_note, terms, vat

NAMED = [*FLAGGED, "extrapolated"]  # the values a figure rests on, by name: in the workbooks' yearly lines
FLAGS = ["population_projected", "wave_inferred", "status", *NAMED]


@dataclass
class Sheet:
    """A table for a workbook: heading lines above it, notes below it."""

    frame: pd.DataFrame
    heading: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    decimals: int = 2  # amounts' number format: 2 (kroner and øre) or 0 (rounded budget tables)
    shares: tuple[str, ...] = ()  # columns of shares, shown as percentages ('4,2 %')


def danish(table: pd.DataFrame, params: ParameterSet, basis: Basis) -> pd.DataFrame:
    """Danish values for model, component and status, Danish column names, flags as Ja/Nej and as the Danish
    labels of the values each figure rests on, the price level and moms, amounts rounded to øre."""
    out = table.copy()
    for column, names in (("model", MODEL), ("component", COMPONENT), ("status", STATUS)):
        if column in out:
            out[column] = out[column].astype(str).map(names)
    for column in ("population_projected", "wave_inferred"):
        if column in out:
            out[column] = out[column].map({True: "Ja", False: "Nej"})
    for column in NAMED:
        if column in out:
            out[column] = (
                out[column].astype(str).map(lambda names: "; ".join(params[n].label for n in names.split(", ") if n))
            )
    if "month" in out:
        out["month"] = pd.to_datetime(out["month"]).dt.strftime("%Y-%m")
    out["amount_dkk"] = round_half_away(out["amount_dkk"], 2)
    out = out.assign(price_level=level(basis), vat=vat(params))
    return out.rename(columns=COLUMNS)


def brief(table: pd.DataFrame) -> pd.DataFrame:
    """A Danish long table without the columns that name the values each figure rests on: the CSV files keep
    the status (Grundlag), the workbooks and 'Om tallene' name the values (repeated on every row, the names
    would make the CSV files ten times larger)."""
    return table.drop(columns=[COLUMNS[c] for c in NAMED], errors="ignore")


def about(scenario: Scenario, table: pd.DataFrame, basis: Basis) -> Sheet:
    """The 'Om tallene' sheet: where the numbers come from, their price level and moms, and every value they rest
    on that is not a documented source (label, value, status, reference)."""
    params = scenario.params
    carried = carried_forward(scenario, table)
    rows = [
        ("Scenarie", scenario.name),
        ("Beskrivelse", scenario.description),
        ("Prisniveau og moms", price_basis_text(basis, params, carried)),
        ("Afrunding", "Lange tabeller: kroner med øre, uafrundet. Budgettabeller: " + rounding_note(basis.unit)),
        ("Data", data_vintage()),
        ("Beregnet med", f"sapa-budget {__version__}"),
        ("Dato", build_date().isoformat()),
    ]
    head = pd.DataFrame(rows, columns=["Værdi", "Tal"])
    listed = unsourced_values(scenario, table.attrs.get("unsourced", []))
    return Sheet(pd.concat([head, pd.DataFrame([{}]), listed], ignore_index=True).fillna(""))


FORMULA = ("=", "+", "-", "@", "\t", "\r")  # a text cell starting so is a formula to Excel


def inert(value: object) -> object:
    """A text cell as Excel must show it, never run it: a leading apostrophe before =, +, -, @ (a scenario's
    name or an invoice reference is whatever its author typed)."""
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA) else value


def write_csv(table: pd.DataFrame, path: Path) -> None:
    """CSV as Danish Excel opens it: semicolon, decimal comma, UTF-8 with BOM; amounts finite, text inert."""
    numbers = table.select_dtypes("float")  # whole numbers (codes, rounded amounts) cannot be inf or nan
    if not np.isfinite(numbers.to_numpy(dtype=float)).all():
        raise ReportError(f"{path.name}: an amount is not a finite number; nothing was written")
    text = table.select_dtypes(exclude="number").columns
    with atomic_path(path) as temporary:
        table.assign(**{c: table[c].map(inert) for c in text}).to_csv(
            temporary, sep=";", decimal=",", index=False, encoding="utf-8-sig"
        )


def write_xlsx(sheets: dict[str, Sheet], path: Path) -> None:
    """One workbook, a sheet per table: heading above, an autofilter over the table, notes below; amounts stay
    numbers with a thousands format; sensible column widths; the header row frozen. Dated with the build date
    (xlsxwriter dates the zip entries itself, always alike), so a rebuild gives the same bytes."""
    import xlsxwriter

    with atomic_path(path) as temporary:
        book = xlsxwriter.Workbook(
            str(temporary), {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
        )
        book.set_properties({"created": dt.datetime.combine(build_date(), dt.time()), "author": "sapa-budget"})
        bold = book.add_format({"bold": True, "text_wrap": True, "valign": "bottom"})
        amounts = {0: book.add_format({"num_format": "#,##0"}), 2: book.add_format({"num_format": "#,##0.00"})}
        share = book.add_format({"num_format": "0.0 %"})
        for name, sheet in sheets.items():
            ws = book.add_worksheet(name[:31])
            frame, top = sheet.frame, len(sheet.heading) + (1 if sheet.heading else 0)
            for row, line in enumerate(sheet.heading):
                ws.write_string(row, 0, line, bold if row == 0 else None)
            ws.write_row(top, 0, [str(c) for c in frame.columns], bold)
            for column, header in enumerate(frame.columns):
                values = frame.iloc[:, column]
                number = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
                cells: list = [None if pd.isna(v) else (float(v) if number else str(v)) for v in values]
                if number and not all(c is None or math.isfinite(c) for c in cells):
                    raise ReportError(f"{path.name}: an amount in {header} is not a finite number; nothing was written")
                ws.write_column(
                    top + 1,
                    column,
                    cells,
                    share
                    if header in sheet.shares
                    else amounts[sheet.decimals]
                    if number and pd.api.types.is_float_dtype(values)
                    else None,
                )
                width = max([len(str(header)) // 2 + 2, *(len(str(v)) for v in cells[:200])]) + 2
                ws.set_column(column, column, min(width, 60))
            for row, line in enumerate(sheet.notes, start=top + len(frame) + 2):
                ws.write_string(row, 0, line)
            ws.autofilter(top, 0, top + len(frame), len(frame.columns) - 1)
            ws.freeze_panes(top + 1, 0)
        book.close()


def wide(table: pd.DataFrame, model: str, components: list[str]) -> pd.DataFrame:
    """Municipalities x years (kr., to the øre) for one model over some components."""
    pivot = round_half_away(budget.by_year(table, model, components), 2)
    pivot.columns = [str(c) for c in pivot.columns]
    return pivot.reset_index().rename(columns=COLUMNS)


def budget_sheet(table: pd.DataFrame, code: int, budget_year: int, basis: Basis, params: ParameterSet) -> Sheet:
    """One municipality's budget table as the report shows it: the budget year and its overslagsår x lines,
    rounded to the unit, with totals and the difference between the models that add up."""
    lines = lines_table(budget.budget_lines(table, code).loc[budget_years(budget_year)], basis.unit)
    frame = lines.rename_axis("År").reset_index()
    frame.insert(1, "Budgetår", frame["År"].map(lambda y: "budgetår" if y == budget_year else "overslagsår"))
    name = table.loc[table["kommunekode"] == code, "kommune"].iloc[0]
    return Sheet(
        frame.astype({c: float for c in lines.columns}),
        heading=[
            f"{name}: SAPA og tilknyttede betalinger, budget {budget_year} og overslagsår",
            caption(basis, params),
        ],
        notes=[rounding_note(basis.unit)],
        decimals=0,
    )


def followup_sheet(result: pd.DataFrame, unit: int, params: ParameterSet) -> Sheet:
    """A budget follow-up (analysis.followup) as its report shows it: the lines and I alt x budget, paid to date,
    the rest of the year, the expected year-end, the deviation and its parts, rounded to the unit so that it adds
    up, each line labelled by what it rests on; the answer, the date and the terms above it."""
    main = followup_view.table(result, unit)
    parts = followup_view.explained(result, unit).drop(columns=FOLLOWUP["deviation"])
    lines = result.loc[list(LINES)]  # the rows of main and parts, in their order
    frame = pd.concat([main.drop(columns="Grundlag"), parts], axis=1).rename_axis("Budgetlinje").reset_index()
    frame = frame.assign(
        **{
            "Måneder betalt": lines["months_paid"].to_numpy(),
            "Måneder resten af året": lines["months_rest"].to_numpy(),
            "Grundlag": main["Grundlag"].to_numpy(),
            "Mindst sikre grundlag, budget": lines["budget_status"].map(STATUS).to_numpy(),
            "Mindst sikre grundlag, forventet regnskab": lines["year_end_status"].map(STATUS).to_numpy(),
            "Fakturaer": lines["references"].to_numpy(),
        }
    )
    amounts = [c for c in frame.columns if c in (*main.columns, *parts.columns) and c != "Grundlag"]
    return Sheet(
        frame.astype({c: float for c in amounts}).astype(
            {"Måneder betalt": "Int64", "Måneder resten af året": "Int64"}
        ),
        heading=[followup_view.title(result), followup_view.answer(result), followup_view.caption(unit, params)],
        notes=[
            followup_view.rounding_note(unit),
            followup_view.parts_note(),
            *followup_view.resting(result),
            followup_view.population_note(result),
            *followup_view.notes(result, params),
        ],
        decimals=0,
        shares=(FOLLOWUP["deviation_pct"],),
    )


MUNICIPAL = ("-aar.csv", "-maaned.csv", ".xlsx")  # a municipality's exports: its report's stem + these
NATIONAL = ("sapa-alle-kommuner.csv", "sapa-budget-{year}.csv", "sapa-alle-kommuner.xlsx")  # in exports/


def municipal_paths(stem: Path) -> list[Path]:
    """A municipality's export files beside its report (stem: the report's path without .html)."""
    return [stem.with_name(stem.name + ending) for ending in MUNICIPAL]


def national_paths(folder: Path, budget_year: int) -> list[Path]:
    """The national export files in `folder` for a budget year."""
    return [folder / name.format(year=budget_year) for name in NATIONAL]


def is_national_export(name: str) -> bool:
    """True for the file name of a national export, for any budget year."""
    return any(re.fullmatch(re.escape(n).replace(r"\{year\}", "[0-9]{4}"), name) for n in NATIONAL)


def municipal(
    table: pd.DataFrame,
    invoices: pd.DataFrame,
    scenario: Scenario,
    stem: Path,
    budget_year: int,
    basis: Basis,
    followup: pd.DataFrame | None = None,
) -> list[Path]:
    """One municipality's yearly lines and monthly invoices as CSV and XLSX: stem-aar.csv, -maaned.csv, .xlsx.
    `table` and `invoices` are in the basis's price level and moms already; with a budget follow-up (`followup`,
    analysis.followup) the workbook has a sheet 'Budgetopfølgning <år>' too."""
    params = scenario.params
    described = about(scenario, table, basis)  # from the table's attrs: the values its figures rest on
    table = table.copy(deep=False)
    table.attrs = {}  # which pandas would copy at every step below
    yearly = danish(table.drop(columns=["region"]), params, basis)
    monthly = invoice_lines(table, invoices, budget_year, params, basis)
    paths = municipal_paths(stem)
    write_csv(brief(yearly), paths[0])
    write_csv(monthly, paths[1])
    code = int(table["kommunekode"].iloc[0])
    write_xlsx(
        {
            f"Budget {budget_year}": budget_sheet(table, code, budget_year, basis, params),
            "Budgetlinjer pr. år": Sheet(yearly),
            "Fakturaer pr. måned": Sheet(monthly),
            **(
                {f"Budgetopfølgning {followup.attrs['year']}": followup_sheet(followup, basis.unit, params)}
                if followup is not None
                else {}
            ),
            "Om tallene": described,
        },
        paths[2],
    )
    return paths


def invoice_years(budget_year: int) -> list[int]:
    """The years of the monthly invoice files: the current year (for the expected accounts), the budget year
    and its overslagsår."""
    return [budget_year - 1, *budget_years(budget_year)]


def invoice_lines(
    table: pd.DataFrame, invoices: pd.DataFrame, budget_year: int, params: ParameterSet, basis: Basis
) -> pd.DataFrame:
    """The monthly invoices in the report's layout (a row per month, the budget lines as columns, kroner to the
    øre, totals the sums of the lines shown) for the current year, the budget year and its overslagsår, each month with the least certain status
    its lines rest on and whether its population is projected."""
    rows = invoices[invoices["month"].dt.year.isin(invoice_years(budget_year))].assign(
        year=lambda f: f["month"].dt.year
    )
    flags = table[["year", "model", "component", "status", "population_projected"]]
    rows = rows.merge(flags.astype({"model": str, "component": str}), on=["year", "model", "component"])
    amounts = rows.pivot_table(index="month", columns=["model", "component"], values="amount_dkk")
    lines = lines_table(round_half_away(amounts, 2), None)  # each line to the øre; the totals are their sums
    rank = rows.assign(rank=rows["status"].astype(str).map(STATUSES.index)).pivot_table(
        index="month", columns="model", values="rank", aggfunc="max"
    )
    out = lines.round(2).assign(  # round(2) again only drops the float noise of the sums
        **{
            f"{COLUMNS['status']}, {MODEL_SHORT[m].lower()}": rank[m].map(lambda r: STATUS[STATUSES[int(r)]])
            for m in ("new", "old")
        },
        **{
            COLUMNS["population_projected"]: rows.groupby("month")["population_projected"]
            .any()
            .map({True: "Ja", False: "Nej"}),
            COLUMNS["price_level"]: level(basis),
            COLUMNS["vat"]: vat(params),
        },
    )
    out.index = out.index.strftime("%Y-%m")
    code = table["kommunekode"].iloc[0]
    return (
        out.rename_axis(COLUMNS["month"])
        .reset_index()
        .assign(**{COLUMNS["kommunekode"]: code, COLUMNS["kommune"]: table["kommune"].iloc[0]})
        .pipe(lambda f: f[[COLUMNS["kommunekode"], COLUMNS["kommune"], *f.columns[:-2]]])
    )


def national(table: pd.DataFrame, scenario: Scenario, folder: Path, budget_year: int, basis: Basis) -> list[Path]:
    """Every municipality x year x component (CSV), the budget-guide table in 1.000 kr. (CSV), and an XLSX with
    the budget-guide table, municipalities x years per model, every line and 'Om tallene'."""
    params = scenario.params
    guide_basis = Basis(1000, basis.prices)
    guide_caption = caption(guide_basis, params)
    guide = guide_table(budget.budget_guide(table, budget_years(budget_year), guide_basis.unit))
    tidy = danish(table, params, basis)
    paths = national_paths(folder, budget_year)
    write_csv(brief(tidy), paths[0])
    years = [str(y) for y in budget_years(budget_year)]
    what = f"{MODEL_SHORT['new'].lower()}, alle betalinger ({fmt_join([COMPONENT[c] for c in EVERY_COMPONENT])})"
    write_csv(guide.rename(columns={y: f"{y} ({guide_caption}; {what})" for y in years}), paths[1])
    everything = list(EVERY_COMPONENT)
    unit = f"kr. med øre, {terms(basis, params)}"
    write_xlsx(
        {
            f"Budget {budget_year}": Sheet(
                guide.astype({y: float for y in years}),
                heading=[
                    f"SAPA og tilknyttede betalinger efter den nye model, budget {budget_year} og overslagsår",
                    guide_caption,
                ],
                notes=[rounding_note(guide_basis.unit)],
                decimals=0,
            ),
            "SAPA, ny model": Sheet(wide(table, "new", ["sapa"]), heading=[unit]),
            "SAPA, gammel model": Sheet(wide(table, "old", ["sapa"]), heading=[unit]),
            "I alt, ny model": Sheet(wide(table, "new", everything), heading=[unit]),
            "I alt, gammel model": Sheet(wide(table, "old", everything), heading=[unit]),
            "Alle linjer": Sheet(tidy),
            "Om tallene": about(scenario, table, basis),
        },
        paths[2],
    )
    return paths
