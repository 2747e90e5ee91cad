"""Tables for budget systems: CSV (Danish Excel dialect) and XLSX, with Danish column names, numbers as numbers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..engine import FLAGGED
from ..files import atomic_path
from ..parameters import ParameterSet
from ..scenarios import Scenario
from ..version import __version__
from ..views.labels import COLUMNS, COMPONENT, MODEL, STATUS
from ..views.presentation import basis, build_date, data_vintage

AMOUNT = COLUMNS["amount_dkk"]
FLAGS = ["population_projected", "wave_inferred", "status", *FLAGGED, "extrapolated"]


def danish(table: pd.DataFrame, params: ParameterSet) -> pd.DataFrame:
    """Danish values for model, component and status, Danish column names, flags as Ja/Nej and as the Danish
    labels of the values each figure rests on, amounts rounded to øre."""
    out = table.copy()
    for column, names in (("model", MODEL), ("component", COMPONENT), ("status", STATUS)):
        if column in out:
            out[column] = out[column].astype(str).map(names)
    for column in ("population_projected", "wave_inferred"):
        if column in out:
            out[column] = out[column].map({True: "Ja", False: "Nej"})
    for column in (*FLAGGED, "extrapolated"):
        if column in out:
            out[column] = (
                out[column].astype(str).map(lambda names: "; ".join(params[n].label for n in names.split(", ") if n))
            )
    if "month" in out:
        out["month"] = pd.to_datetime(out["month"]).dt.strftime("%Y-%m")
    out["amount_dkk"] = out["amount_dkk"].round(2)
    return out.rename(columns=COLUMNS)


def about(scenario: Scenario, table: pd.DataFrame) -> pd.DataFrame:
    """The 'Om tallene' sheet: where the numbers come from, and every value they rest on that is not a
    documented source (label, value, status, reference)."""
    rows = [
        ("Scenarie", scenario.name, "", ""),
        ("Beskrivelse", scenario.description, "", ""),
        ("Data", data_vintage(), "", ""),
        ("Beregnet med", f"sapa-budget {__version__}", "", ""),
        ("Dato", build_date().isoformat(), "", ""),
        ("Beløb", "kroner pr. år (budgetlinjer) eller pr. måned (fakturaer), ikke afrundet til hele kroner", "", ""),
        ("", "", "", ""),
    ]
    head = pd.DataFrame(rows, columns=["Værdi", "Tal", "Grundlag", "Kilde"])
    return pd.concat([head, basis(scenario, table.attrs.get("unsourced", []))], ignore_index=True)


def write_csv(table: pd.DataFrame, path: Path) -> None:
    """CSV as Danish Excel opens it: semicolon, decimal comma, UTF-8 with BOM."""
    with atomic_path(path) as temporary:
        table.to_csv(temporary, sep=";", decimal=",", index=False, encoding="utf-8-sig")


def write_xlsx(sheets: dict[str, pd.DataFrame], path: Path) -> None:
    """One workbook, a sheet per table; amounts stay numbers with a thousands format."""
    with atomic_path(path) as temporary, pd.ExcelWriter(temporary, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name[:31], index=False)
            sheet = writer.sheets[name[:31]]
            for column, header in enumerate(frame.columns, start=1):
                width = max(len(str(header)), *(len(str(v)) for v in frame.iloc[:200, column - 1])) + 2
                sheet.column_dimensions[sheet.cell(1, column).column_letter].width = min(width, 60)
                if pd.api.types.is_float_dtype(frame.iloc[:, column - 1]):
                    for cell in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
                        cell[0].number_format = "#,##0.00"
            sheet.freeze_panes = "A2"


def wide(table: pd.DataFrame, model: str, components: list[str]) -> pd.DataFrame:
    """Municipalities x years (kr.) for one model over some components: the table a budget guide prints."""
    rows = table[(table["model"] == model) & (table["component"].isin(components))]
    pivot = rows.pivot_table(
        index=["kommunekode", "kommune"], columns="year", values="amount_dkk", aggfunc="sum", observed=True
    ).round(2)
    pivot.columns = [str(c) for c in pivot.columns]
    return pivot.reset_index().rename(columns=COLUMNS)


def municipal(table: pd.DataFrame, invoices: pd.DataFrame, scenario: Scenario, stem: Path) -> list[Path]:
    """One municipality's yearly lines and monthly invoices as CSV and XLSX: stem-aar.csv, -maaned.csv, .xlsx."""
    params = scenario.params
    flags = table[["year", "model", "component", *FLAGS]].astype({"model": str, "component": str})
    invoices = invoices.assign(
        kommunekode=table["kommunekode"].iloc[0], kommune=table["kommune"].iloc[0], year=invoices["month"].dt.year
    )
    invoices = invoices.merge(flags, on=["year", "model", "component"], how="left").drop(columns="year")
    yearly = danish(table.drop(columns=["region"]), params)
    monthly = danish(invoices[["kommunekode", "kommune", "month", "model", "component", "amount_dkk", *FLAGS]], params)
    paths = [
        stem.with_name(stem.name + "-aar.csv"),
        stem.with_name(stem.name + "-maaned.csv"),
        stem.with_suffix(".xlsx"),
    ]
    write_csv(yearly, paths[0])
    write_csv(monthly, paths[1])
    write_xlsx(
        {
            "Budgetlinjer pr. år": yearly,
            "Fakturaer pr. måned": monthly,
            "Om tallene": about(scenario, table),
        },
        paths[2],
    )
    return paths


def national(table: pd.DataFrame, scenario: Scenario, folder: Path) -> list[Path]:
    """All municipalities x years x components (tidy CSV), and an XLSX with the budget-guide tables."""
    tidy = danish(table, scenario.params)
    paths = [folder / "sapa-alle-kommuner.csv", folder / "sapa-alle-kommuner.xlsx"]
    write_csv(tidy, paths[0])
    everything = list(COMPONENT)
    write_xlsx(
        {
            "SAPA, ny model": wide(table, "new", ["sapa"]),
            "SAPA, gammel model": wide(table, "old", ["sapa"]),
            "I alt, ny model": wide(table, "new", everything),
            "I alt, gammel model": wide(table, "old", everything),
            "Alle linjer": tidy,
            "Om tallene": about(scenario, table),
        },
        paths[1],
    )
    return paths
