"""The billing calendar: months, billing starts, months billed per year."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd


def month_grid(years: Iterable[int]) -> np.ndarray:
    """Every month of the given years, as datetime64[M], in order."""
    return np.concatenate([np.arange(f"{y}-01", f"{y + 1}-01", dtype="datetime64[M]") for y in sorted(years)])


def year_of(months: np.ndarray) -> np.ndarray:
    """Calendar year of each month."""
    return months.astype("datetime64[Y]").astype(int) + 1970


def billed(billing_start: np.ndarray, months: np.ndarray) -> np.ndarray:
    """True where a month is on or after the municipality's billing start: shape (municipalities, months)."""
    start = np.asarray(billing_start).astype("datetime64[M]")
    return months[None, :] >= start[:, None]


def months_billed(billing_start, year: int) -> int:
    """Whole months billed in a year: 12 in a full year; from the billing start to December in the first."""
    months = month_grid([year])
    return int(billed(np.array([np.datetime64(billing_start, "M")]), months).sum())


def billing_start_after_course(course_end, earliest) -> pd.Timestamp:
    """The 1st of the month after the course ends, never before the earliest billing start."""
    return max(pd.Timestamp(course_end) + pd.offsets.MonthBegin(1), pd.Timestamp(earliest))
