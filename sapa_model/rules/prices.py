"""Price levels: KL's pris- og lønskøn as an index, for KMD's own indexation and for stating figures in
one year's price level."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ..parameters import Parameter, ParameterSet

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


# -- Each year's price: known, or carried forward from the last known year ---------------------------------
CARRY = "prices.carry_forward"  # how a price is carried past its last known year: with the P/L index, or unchanged


@dataclass(frozen=True)
class PricePath:
    """A price for each year (kr. per inhabitant per year): its own known value, or the last known one carried
    forward; with what each year's figure reads (for its provenance)."""

    years: tuple[int, ...]
    values: np.ndarray  # (Y,) nan before the first known year
    known_from: np.ndarray  # (Y,) the year whose known value each year's figure comes from (0: none yet)
    reads: tuple[dict[str, Parameter], ...]  # per year: the parameters its figure rests on

    @property
    def carried(self) -> dict[int, int]:
        """{year: the known year it is carried forward from} for the years without a known price of their own."""
        return {y: int(k) for y, k in zip(self.years, self.known_from) if k and k != y}


def regulated(params: ParameterSet) -> bool:
    """Whether a price carried past its last known year follows the price index (prices.carry_forward
    'with_index' and an index given); else it is held unchanged in kroner."""
    return params.parameters[CARRY].values[0] == "with_index" and has_index(params)


def known_values(params: ParameterSet, names: Sequence[str], base: str | None, years: Sequence[int]):
    """Per year, the first known value of the given per-year parameters (`names`, in order of precedence), else
    of `base` (a dated parameter, known up to its last valid day): ({year: value}, {year: parameter})."""
    values: dict[int, float] = {}
    source: dict[int, Parameter] = {}
    for name in names:
        parameter = params[name]
        for year, value in parameter.by_year().items():
            if year in years and year not in values:
                values[year], source[year] = float(value), parameter
    if base is not None:
        parameter = params[base]
        january = np.array([f"{y}-01-01" for y in years], dtype="datetime64[D]")
        known = ~parameter.stale(january) & (january >= parameter.dates[0])
        for year, day, ok in zip(years, january, known):
            if ok and year not in values:
                values[year], source[year] = float(parameter.at(day)), parameter
    return values, source


def price_path(params: ParameterSet, names: Sequence[str], years: Sequence[int], base: str | None = None) -> PricePath:
    """Each year's price: the first known of the per-year parameters `names` (e.g. announced by KOMBIT, then
    invoiced), else `base`'s value where it is known; after the last known year, that price carried forward,
    regulated by the price index from its year when prices.carry_forward says so and an index is given."""
    years = list(years)
    dated = [params[n].dates[0].astype(object).year for n in (*names, *([base] if base else [])) if params[n].dates]
    span = range(min([*years, *dated]), max(years) + 1)  # from the first known value: a later year may carry it
    values, source = known_values(params, names, base, list(span))
    carry = params[CARRY]
    regulate = regulated(params)
    levels = index_levels(params, span) if regulate else {}
    out: list[float] = []
    known_from: list[int] = []
    reads: list[dict[str, Parameter]] = []
    last = None
    for year in span:
        if year in values:
            last = year
        if year not in years:
            continue
        if last is None:
            out.append(np.nan)
            known_from.append(0)
            reads.append({})
        elif last == year:
            out.append(values[year])
            known_from.append(year)
            reads.append({source[year].name: source[year]})
        else:
            params.warn_if_stale(source[last], np.array([f"{year}-01-01"], dtype="datetime64[D]"))
            factor = levels[year] / levels[last] if regulate else 1.0
            out.append(values[last] * factor)
            known_from.append(last)
            read = {source[last].name: source[last], CARRY: carry}
            if regulate:
                read[INDEX] = params[INDEX]
            reads.append(read)
    return PricePath(tuple(years), np.array(out, dtype=float), np.array(known_from), tuple(reads))
