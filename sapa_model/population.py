"""Population on 1 January per municipality: observed years, then a projection (flagged)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from . import datasets
from .errors import DataError, YearOutOfRangeError
from .names import resolve_code
from .params import ParameterSet, baseline

METHODS = ("carry_forward", "trend")


def first_year() -> int:
    """The first year with observed population."""
    return int(datasets.observed_population().columns.min())


def last_observed_year() -> int:
    """The last year with observed population."""
    return int(datasets.observed_population().columns.max())


def check_years(years: Iterable[int], first: int | None = None, last: int | None = None) -> list[int]:
    """Years as a sorted list of ints, or YearOutOfRangeError naming the allowed range."""
    first = first_year() if first is None else first
    last = int(baseline().value("projection.last_year")) if last is None else last
    try:
        years = sorted({int(y) for y in ([years] if np.isscalar(years) else years)})
    except (TypeError, ValueError):
        raise YearOutOfRangeError(f"years must be whole numbers from {first} to {last}, got {years!r}") from None
    outside = [y for y in years if not first <= y <= last]
    if not years or outside:
        raise YearOutOfRangeError(
            f"year {outside[0] if outside else '(none)'} is outside the range the model covers: {first}-{last}"
        )
    return years


def read_forecast(path: str | Path, last_year: int) -> pd.DataFrame:
    """A user's own population forecast (CSV: kommune, year, population), validated; wide: code x year.

    Every problem is listed at once with its row; DataError says what would be right.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"forecast file {path} does not exist")
    try:
        frame = pd.read_csv(path, dtype=str, sep=None, engine="python")
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"forecast file {path} cannot be read as CSV: {exc}") from None
    frame.columns = [c.strip().lower() for c in frame.columns]
    if "kommunekode" in frame and "kommune" not in frame:
        frame["kommune"] = frame["kommunekode"]
    missing = {"kommune", "year", "population"} - set(frame.columns)
    if missing:
        raise DataError(f"forecast file {path} needs the columns kommune, year, population; missing: "
                        f"{', '.join(sorted(missing))}")
    first = last_observed_year() + 1
    problems, rows = [], []
    for number, row in enumerate(frame.itertuples(index=False), start=2):
        try:
            code = resolve_code(row.kommune)
        except LookupError as exc:
            problems.append(f"row {number}: {exc}")
            continue
        year, people = str(row.year).strip(), str(row.population).strip().replace(".", "").replace(" ", "")
        if not year.isdigit() or not first <= int(year) <= last_year:
            problems.append(f"row {number}: year {row.year!r} must be a year from {first} to {last_year} "
                            f"(observed years cannot be replaced)")
        elif not people.isdigit() or int(people) <= 0:
            problems.append(f"row {number}: population {row.population!r} must be a positive whole number")
        else:
            rows.append((code, int(year), int(people)))
    table = pd.DataFrame(rows, columns=["kommunekode", "year", "population"])
    duplicated = table[table.duplicated(["kommunekode", "year"], keep=False)]
    problems += [f"{code}/{year} appears twice" for code, year in duplicated[["kommunekode", "year"]].drop_duplicates().to_numpy()]
    if problems:
        raise DataError(f"forecast file {path} has {len(problems)} problem(s):\n  " + "\n  ".join(problems))
    return table.pivot(index="kommunekode", columns="year", values="population")


@lru_cache(maxsize=32)
def _projected(method: str, trend_years: int, last_year: int, forecast: str = "",
               forecast_stamp: float = 0.0) -> tuple[pd.DataFrame, pd.DataFrame]:
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
            raise DataError(f"unknown projection method {method!r}; use one of {', '.join(METHODS)}")
    projected = pd.DataFrame(False, index=table.index, columns=years)
    projected[future] = True
    if forecast:
        # The forecast replaces the projection for its years; after its last year its last value holds.
        own = read_forecast(forecast, last_year).reindex(index=table.index, columns=years).ffill(axis=1)
        table = table.where(own.isna(), own)
    return table.astype("int64"), projected


def population_matrix(years: Iterable[int], params: ParameterSet | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Population (code x year) and the same-shaped 'projected' flags, for the given years."""
    params = baseline() if params is None else params
    last = int(params.value("projection.last_year"))
    years = check_years(years, last=last)
    forecast = str(params.value("projection.forecast_file"))
    table, projected = _projected(
        str(params.value("projection.method")), int(params.value("projection.trend_years")), last, forecast,
        Path(forecast).stat().st_mtime if forecast and Path(forecast).is_file() else 0.0,
    )
    return table[years], projected[years]


def population_table(years: Iterable[int] | None = None, params: ParameterSet | None = None) -> pd.DataFrame:
    """Tidy table: kommunekode, kommune, region, year, population, projected (True after the last observed year)."""
    params = baseline() if params is None else params
    years = range(first_year(), int(params.value("projection.last_year")) + 1) if years is None else years
    table, projected = population_matrix(years, params)
    names = datasets.municipalities()[["kommune", "region"]]
    tidy = table.stack().rename("population").to_frame()
    tidy["projected"] = projected.stack()
    tidy.index.names = ["kommunekode", "year"]
    return tidy.reset_index().join(names, on="kommunekode")[
        ["kommunekode", "kommune", "region", "year", "population", "projected"]
    ]


def population(name_or_code: str | int, year: int, params: ParameterSet | None = None) -> int:
    """Population on 1 January of the year for one municipality (projected after the last observed year)."""
    table, _ = population_matrix([year], params)
    return int(table.loc[resolve_code(name_or_code), int(year)])
