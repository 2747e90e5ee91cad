"""The billing calendar: months, the billing start rule, which months are billed."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def month_grid(years: Iterable[int]) -> np.ndarray:
    """Every month of the given years, as datetime64[M], in order."""
    return np.concatenate([np.arange(f"{y}-01", f"{y + 1}-01", dtype="datetime64[M]") for y in sorted(years)])


def year_of(months: np.ndarray) -> np.ndarray:
    """Calendar year of each month."""
    return months.astype("datetime64[Y]").astype(int) + 1970


def start_month(course_end: np.ndarray, earliest) -> np.ndarray:
    """SAPA's billing start per municipality (datetime64[M]): the 1st of the month after its course ends,
    never before the earliest billing start; no course end (the pilot's course ended before) gives the
    earliest. The one statement of the rule (kombit.dk, 'Økonomi og ejerskab')."""
    after_course = np.asarray(course_end, dtype="datetime64[D]").astype("datetime64[M]") + 1
    earliest = np.datetime64(earliest, "M")
    return np.where(np.isnat(after_course), earliest, np.maximum(after_course, earliest))


def billed(start: np.ndarray, months: np.ndarray) -> np.ndarray:
    """True where a month is on or after the municipality's billing start: shape (municipalities, months)."""
    return months[None, :] >= np.asarray(start).astype("datetime64[M]")[:, None]
