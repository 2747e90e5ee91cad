"""Price levels: KL's pris- og lønskøn as an index, for KMD's own indexation and for stating figures in
one year's price level."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..parameters import ParameterSet

INDEX = "prices.index"


def has_index(params: ParameterSet) -> bool:
    """True when a price index (KL's pris- og lønskøn) is given."""
    return bool(params.parameters[INDEX].values)


def index_levels(params: ParameterSet, years: Iterable[int]) -> dict[int, float]:
    """The price level of each year (1 in the index's year before its first value): the product of the
    growths applied on 1 January up to that year; years before the index count as no growth."""
    years = sorted(set(years))
    first = params[INDEX].dates[0].astype(object).year
    span = range(min(years[0], first), years[-1] + 1)
    days = np.array([f"{y}-01-01" for y in span if y >= first], dtype="datetime64[D]")
    growth = dict(zip([y for y in span if y >= first], params.series(INDEX, days) / 100)) if len(days) else {}
    level, levels = 1.0, {}
    for year in span:
        level *= 1 + growth.get(year, 0.0)
        levels[year] = level
    return {y: levels[y] for y in years}
