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

METHODS = ("best", "carry_forward", "trend", "backtested")  # 'best': whichever of the others the backtest favours
CANDIDATES = ("carry_forward", "trend")  # what 'backtested' chooses between, per municipality
BACKTEST_HORIZONS = 4  # years ahead a projection is judged on: the budget year and its three overslagsår
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
        if method not in METHODS:
            raise DataError(f"unknown projection method {echo(method)}; use one of {', '.join(METHODS)}")
        method = best_method(trend_years) if method == "best" else method
        chosen = choices(trend_years) if method == "backtested" else np.full(len(observed), method)
        origin = len(observed.columns) - 1
        ahead = np.array(future) - last_observed_year()
        values = np.where(
            (chosen == "trend")[:, None],
            project_from(observed.to_numpy(float), origin, ahead, "trend", trend_years),
            project_from(observed.to_numpy(float), origin, ahead, "carry_forward", trend_years),
        )
        table[future] = np.maximum(np.rint(values), 0)
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


def project_from(observed: np.ndarray, origin: int, ahead: np.ndarray, method: str, trend_years: int) -> np.ndarray:
    """Populations `ahead` years after the year at column `origin` of `observed` (M, years), from the columns up
    to it only: the last value carried forward, or the straight line through the last `trend_years` values:
    (M, len(ahead)). Needs origin >= trend_years - 1 for a trend."""
    last = observed[:, origin]
    if method == "carry_forward":
        return np.repeat(last[:, None], len(ahead), axis=1)
    window = observed[:, origin - trend_years + 1 : origin + 1]
    x = np.arange(-trend_years + 1, 1, dtype=float)  # years relative to the origin
    slope = ((x - x.mean()) * (window - window.mean(axis=1, keepdims=True))).sum(axis=1) / ((x - x.mean()) ** 2).sum()
    return window.mean(axis=1)[:, None] + slope[:, None] * (np.asarray(ahead, dtype=float)[None, :] - x.mean())


@lru_cache(maxsize=8)
def backtest(method: str, trend_years: int) -> np.ndarray:
    """The projection method's relative errors on Statistics Denmark's own series: for every municipality, every
    year it could have been made from (the origin) and 1 to BACKTEST_HORIZONS years ahead, actual / projected - 1
    (nan where the target year is not observed yet): (M, origins, horizons). A trend needs trend_years observed
    years before its first origin; every method is judged from that same first origin, so they compare."""
    observed = datasets.observed_population().to_numpy(float)
    n = observed.shape[1]
    ahead = np.arange(1, BACKTEST_HORIZONS + 1)
    errors = np.full((observed.shape[0], n - trend_years, len(ahead)), np.nan)
    for i, origin in enumerate(range(trend_years - 1, n - 1)):
        if method == "backtested":
            chosen = _chosen(trend_years, origin)
            projected = np.where(
                (chosen == "trend")[:, None],
                project_from(observed, origin, ahead, "trend", trend_years),
                project_from(observed, origin, ahead, "carry_forward", trend_years),
            )
        else:
            projected = project_from(observed, origin, ahead, method, trend_years)
        seen = origin + ahead < n
        errors[:, i, seen] = observed[:, origin + ahead[seen]] / projected[:, seen] - 1
    return errors


def _chosen(trend_years: int, origin: int) -> np.ndarray:
    """Per municipality, the candidate method with the smaller mean absolute error over the backtest errors known
    by the year at column `origin` (targets up to it); carry_forward where none is known yet or they tie."""
    first = trend_years - 1
    scores = []
    for method in CANDIDATES:
        errors = backtest(method, trend_years)[:, : max(origin - first, 0), :]
        origins = np.arange(first, first + errors.shape[1])
        known = (origins[:, None] + np.arange(1, BACKTEST_HORIZONS + 1)[None, :]) <= origin
        scores.append(np.nanmean(np.where(known[None], np.abs(errors), np.nan), axis=(1, 2)) if known.any() else None)
    if scores[0] is None or scores[1] is None:
        return np.full(len(datasets.observed_population()), CANDIDATES[0])
    return np.where(scores[1] < scores[0], CANDIDATES[1], CANDIDATES[0])


def as_budgeted(year: int, method: str, trend_years: int) -> pd.Series:
    """Each municipality's population on 1 January of an observed `year` as it was projected from the observed
    years before it (what a budget for that year, adopted the autumn before, rested on), by `method` ('best'
    resolved as today), rounded as every projection is: by code. YearOutOfRangeError unless both `year` and the
    year before are observed."""
    observed = datasets.observed_population()
    _year(year, first_year() + 1, last_observed_year())
    origin = list(observed.columns).index(year - 1)
    method = best_method(trend_years) if method == "best" else method
    chosen = _chosen(trend_years, origin) if method == "backtested" else np.full(len(observed), method)
    span = min(trend_years, origin + 1)  # the years a trend can have been fitted to by then
    values = observed.to_numpy(float)
    trend = project_from(values, origin, np.array([1]), "trend", span) if span > 1 else values[:, [origin]]
    projected = np.where((chosen == "trend")[:, None], trend, values[:, [origin]])[:, 0]
    return pd.Series(np.maximum(np.rint(projected), 0).astype("int64"), index=observed.index, name=year)


def choices(trend_years: int) -> np.ndarray:
    """Per municipality, the method 'backtested' projects with: the candidate that erred least in the backtest on
    every observed year."""
    return _chosen(trend_years, len(datasets.observed_population().columns) - 1)


def mean_error(method: str, trend_years: int) -> np.ndarray:
    """A method's mean absolute relative error in the backtest, per horizon (1 to BACKTEST_HORIZONS years ahead)."""
    return np.nanmean(np.abs(backtest(method, trend_years)), axis=(0, 1))


def best_method(trend_years: int) -> str:
    """The projection method with the smallest mean absolute error over the horizons of the backtest."""
    return min(METHODS[1:], key=lambda m: float(mean_error(m, trend_years).mean()))
