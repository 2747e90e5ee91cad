"""Population on 1 January per municipality: observed years, then a projection (flagged).

This module knows the data only; which projection a computation uses, and up to which year, is decided
by the caller (the rules read it from the parameters).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from functools import lru_cache
from itertools import islice
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, YearOutOfRangeError, echo, listing
from . import datasets
from .names import resolve_code
from .tables import read_user_table, whole_number

METHODS = ("carry_forward", "trend")
MAX_POPULATION = 10_000_000  # larger than Denmark: no municipality's population can be above it


def first_year() -> int:
    """The first year with observed population."""
    return int(datasets.observed_population().columns.min())


def last_observed_year() -> int:
    """The last year with observed population."""
    return int(datasets.observed_population().columns.max())


def _year(value: object, first: int, last: int) -> int:
    """One year as an int, refusing fractions, text that is no plain number, and years out of range."""
    span = f"whole numbers from {first} to {last}"
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, float, str)):
        raise YearOutOfRangeError(f"years must be {span}, not {echo(value)}")
    try:
        year = whole_number(value)
    except ValueError:
        raise YearOutOfRangeError(f"years must be {span}, not {echo(value)}") from None
    if not first <= year <= last:
        raise YearOutOfRangeError(f"year {year} is outside the range the model covers: {first}-{last}")
    return year


def check_years(years: Iterable[int] | int, first: int, last: int) -> list[int]:
    """Years as a sorted list of ints, each from `first` to `last`; YearOutOfRangeError otherwise.

    Bounds are checked before anything is built: `range(2019, 10**15)` fails at once, and at most
    last - first + 1 values of any other iterable are looked at.
    """
    values: list[object]
    if isinstance(years, range):
        low, high = (min(years[0], years[-1]), max(years[0], years[-1])) if len(years) else (first, first)
        if low < first or high > last:  # indexing a range is O(1): range(2019, 10**15) fails at once
            raise YearOutOfRangeError(
                f"year {low if low < first else high} is outside the range the model covers: {first}-{last}"
            )
        values = list(years)
    elif isinstance(years, (numbers.Number, str)):
        values = [years]
    else:
        try:
            values = list(islice(iter(years), 4 * (last - first + 1) + 1))  # type: ignore[arg-type]
        except TypeError:
            raise YearOutOfRangeError(
                f"years must be whole numbers from {first} to {last}, not {echo(years)}"
            ) from None
    checked = sorted({_year(y, first, last) for y in values})
    if not checked:
        raise YearOutOfRangeError(f"no years given; give years from {first} to {last}, first before last")
    return checked


def read_forecast(path: str | Path, first: int, last: int) -> pd.DataFrame:
    """A user's own population forecast (CSV or XLSX: kommune, year, population), validated; wide: code x year.

    Every problem is listed at once with its row; DataError says what would be right.
    """
    frame = read_user_table(
        path,
        {
            "kommune": ("kommunekode", "kommunenavn"),
            "year": ("år", "aar"),
            "population": ("indbyggere", "folketal", "befolkning"),
        },
        "forecast file",
    )
    problems, rows = [], []
    for row in frame.itertuples(index=False):
        try:
            code = resolve_code(row.kommune)
        except LookupError as exc:
            problems.append(f"row {row.row}: {exc}")
            continue
        try:
            year = whole_number(row.year)
        except ValueError:
            year = None
        if year is None or not first <= year <= last:
            problems.append(
                f"row {row.row}: year {echo(row.year)} must be a year from {first} to {last} "
                "(observed years cannot be replaced)"
            )
            continue
        try:
            people = whole_number(row.population)
        except ValueError as exc:
            problems.append(f"row {row.row}: population {exc}; give a positive whole number")
            continue
        if not 0 < people <= MAX_POPULATION:
            problems.append(
                f"row {row.row}: population {echo(row.population)} must be a positive whole number "
                f"of at most {MAX_POPULATION:,}".replace(",", ".")
            )
            continue
        rows.append((code, year, people, row.row))
    table = pd.DataFrame(rows, columns=["kommunekode", "year", "population", "row"])
    twice = table[table.duplicated(["kommunekode", "year"], keep=False)]
    for (code, year), group in twice.groupby(["kommunekode", "year"]):
        problems.append(f"rows {', '.join(map(str, group['row']))}: {code}/{year} appears more than once")
    if problems:
        raise DataError(f"forecast file {Path(path).name} has {len(problems)} problem(s):\n{listing(problems)}")
    return table.pivot(index="kommunekode", columns="year", values="population")


@lru_cache(maxsize=32)
def projected(
    method: str, trend_years: int, last_year: int, forecast: str = "", forecast_stamp: float = 0.0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Population (code x year, from the first observed year to `last_year`) and same-shaped 'projected'
    flags: observed years as observed, later years by `method` (or the user's forecast file, whose last
    value holds after its last year). `forecast_stamp` (the file's mtime) makes an edited file be read anew."""
    observed = datasets.observed_population()
    years = list(range(first_year(), last_year + 1))
    future = [y for y in years if y > last_observed_year()]
    table = observed.reindex(columns=years)
    if future:
        if method == "carry_forward":
            table[future] = np.repeat(observed[[last_observed_year()]].to_numpy(), len(future), axis=1)
        elif method == "trend":
            recent = observed.iloc[:, -trend_years:]
            x = np.array(recent.columns, dtype=float)
            slope, intercept = np.polyfit(x, recent.to_numpy(dtype=float).T, 1)
            values = np.outer(slope, np.array(future, dtype=float)) + intercept[:, None]
            table[future] = np.maximum(np.rint(values), 0)
        else:
            raise DataError(f"unknown projection method {echo(method)}; use one of {', '.join(METHODS)}")
    flags = pd.DataFrame(False, index=table.index, columns=years)
    flags[future] = True
    if forecast:
        own = read_forecast(forecast, last_observed_year() + 1, last_year)
        own = own.reindex(index=table.index, columns=years).ffill(axis=1)
        table = table.where(own.isna(), own)
    return table.astype("int64"), flags


def stamp(path: str) -> float:
    """A file's modification time (0 when there is no file), so caches notice an edited forecast."""
    return Path(path).stat().st_mtime if path and Path(path).is_file() else 0.0
