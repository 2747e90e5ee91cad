"""The shipped data tables, loaded once and validated with pandera (lazy: all problems at once)."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from ..errors import DataError

DATA_DIR = Path(os.environ.get("SAPA_DATA_DIR", Path(__file__).resolve().parents[2] / "data"))

REGIONS = ["Hovedstaden", "Sjælland", "Syddanmark", "Midtjylland", "Nordjylland"]
WAVES = ["pilot", "1", "2", "3", "4", "5", "6"]  # SAPA's wave plan, in order
WAVE_LABELS = {w: "Pilot" if w == "pilot" else f"Bølge {w}" for w in WAVES}

_code = pa.Column(int, pa.Check.in_range(101, 999), unique=True)

SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "municipalities.csv": pa.DataFrameSchema(
        {
            "kommunekode": _code,
            "kommune": pa.Column(str, pa.Check.str_length(2, 40), unique=True),
            "region": pa.Column(str, pa.Check.isin(REGIONS)),
        },
        strict=True,
    ),
    "population.csv": pa.DataFrameSchema(
        {
            "kommunekode": pa.Column(int, pa.Check.in_range(101, 999)),
            "year": pa.Column(int, pa.Check.in_range(2000, 2100)),
            "population": pa.Column(int, pa.Check.gt(0, error="population must be a positive whole number")),
        },
        strict=True,
        unique=["kommunekode", "year"],
    ),
    "national_totals.csv": pa.DataFrameSchema(
        {
            "year": pa.Column(int, unique=True),
            "sum_98_kommuner": pa.Column(int, pa.Check.gt(0)),
            "christiansoe": pa.Column(int, pa.Check.ge(0)),
            "hele_landet": pa.Column(int, pa.Check.gt(0)),
            "hele_landet_independent": pa.Column(int, pa.Check.gt(0)),
        },
        strict=True,
    ),
    "waves.csv": pa.DataFrameSchema(
        {
            "kommunekode": _code,
            "kommune": pa.Column(str, unique=True),
            "kommune_as_in_seed": pa.Column(str),
            "wave": pa.Column(str, pa.Check.isin(WAVES)),
            "course_start": pa.Column("datetime64[ns]", nullable=True),
            "course_end": pa.Column("datetime64[ns]", nullable=True),
            "billing_start": pa.Column("datetime64[ns]"),
            "placement": pa.Column(str, pa.Check.isin(["direct", "inferred"])),
        },
        strict=True,
    ),
    "aliases.csv": pa.DataFrameSchema(
        {
            "alias": pa.Column(str, unique=True),
            "kommunekode": pa.Column(int, pa.Check.in_range(101, 999)),
            "note": pa.Column(str, nullable=True),
        },
        strict=True,
    ),
}

_DATES = {"waves.csv": ["course_start", "course_end", "billing_start"]}


def read_table(name: str, folder: Path | None = None) -> pd.DataFrame:
    """Read one data file and validate it; raise DataError listing every failing row and column."""
    path = (folder or DATA_DIR) / name
    if not path.exists():
        raise DataError(f"data file {path} is missing; the project ships it in data/ (see data/README.md)")
    dtypes = {"kommune": str, "wave": str, "placement": str, "alias": str}
    try:
        frame = pd.read_csv(path, dtype=dtypes, keep_default_na=True)
        for column in _DATES.get(name, []):
            frame[column] = pd.to_datetime(frame[column], format="%Y-%m-%d", errors="raise")
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: cannot be read as a table: {exc}") from None
    try:
        return SCHEMAS[name].validate(frame, lazy=True)
    except (pa.errors.SchemaErrors, pa.errors.SchemaError) as exc:
        raise DataError(_describe(path, exc)) from None


def _describe(path: Path, exc: Exception) -> str:
    """Turn pandera's failure cases into lines of 'file, row, column: problem'."""
    cases = getattr(exc, "failure_cases", None)
    if cases is None or len(cases) == 0:
        return f"{path}: {exc}"
    lines = []
    for case in cases.itertuples():
        row = "" if pd.isna(case.index) else f", row {int(case.index) + 2}"  # +2: header and 1-based
        column = f", column {case.column}" if isinstance(case.column, str) else ""
        lines.append(f"  {path.name}{row}{column}: {case.check} failed (value {case.failure_case!r})")
    return f"{path} has {len(lines)} problem(s):\n" + "\n".join(lines)


@cache
def municipalities() -> pd.DataFrame:
    """The 98 municipalities with code, name, region, wave and billing start, indexed by code."""
    table = read_table("municipalities.csv")
    waves = read_table("waves.csv").drop(columns="kommune")
    merged = table.merge(waves, on="kommunekode", how="left", validate="one_to_one")
    missing = merged.loc[merged["wave"].isna(), "kommune"].tolist()
    if missing:
        raise DataError(f"waves.csv has no wave for: {', '.join(missing)}")
    return merged.set_index("kommunekode", drop=False).sort_index()


@cache
def observed_population() -> pd.DataFrame:
    """Observed population on 1 January, wide: one row per municipality code, one column per year."""
    long = read_table("population.csv")
    unknown = sorted(set(long["kommunekode"]) - set(municipalities().index))
    if unknown:
        raise DataError(f"population.csv has codes that are no municipality: {unknown}")
    wide = long.pivot(index="kommunekode", columns="year", values="population")
    if wide.isna().any().any():
        gaps = wide.isna().stack()
        raise DataError(
            "population.csv is missing values for "
            + ", ".join(f"{code}/{year}" for code, year in gaps[gaps].index[:10])
        )
    return wide.reindex(municipalities().index).astype("int64")


@cache
def national_totals() -> pd.DataFrame:
    """National totals per year (for checks): the 98, Christiansø, and two national figures."""
    return read_table("national_totals.csv").set_index("year")


@cache
def aliases() -> pd.DataFrame:
    """Other names people use for municipalities, with the code they mean."""
    return read_table("aliases.csv")
