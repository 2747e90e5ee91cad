"""The new settlement model: a fixed price per calendar year per knee-weighted inhabitant."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..parameters import ParameterSet
from .formula import NUMPY
from .grid import Grid
from .knee import weighted
from .prices import PricePath, price_path


def units(weighted_inhabitants, months_billed):
    """What a year's price is multiplied by: knee-weighted inhabitants x months billed / 12."""
    return weighted_inhabitants / 12 * months_billed


def neutral_price(revenue, total_units, ops=NUMPY):
    """The price per knee-weighted inhabitant at which `total_units` pay exactly `revenue` (0 if no units):
    revenue / total_units. `ops` as in knee.weighted, so the browser uses this same formula."""
    return ops.divide(revenue, total_units)


def billed_units(grid: Grid) -> np.ndarray:
    """Knee-weighted inhabitants x months billed / 12, per month: (M, T). Price x units = invoice."""
    people = weighted(grid.population_by_month, grid.per_month("sapa.knee.threshold"), grid.per_month("sapa.knee.rate"))
    return units(people, grid.billed)


PRICES = ("sapa.price.per_inhabitant", "sapa.price.calibrated")  # SAPA's known prices, first wins: announced, invoiced


def known_price(params: ParameterSet, years) -> PricePath:
    """SAPA's price in each year where one is known (announced, then invoiced), carried forward after it."""
    return price_path(params, PRICES, years)


def derived_price(grid: Grid, planned_old: Callable[[], np.ndarray]) -> np.ndarray:
    """SAPA price per knee-weighted inhabitant for each year (kr.), derived revenue neutral: the price at which
    the 98 municipalities together pay in each year exactly what the old model charges on the planned timeline
    (`planned_old()`, (M, T)): sum(old) / sum(weighted x months/12)."""
    revenue = grid.by_year(planned_old().sum(axis=0))
    return neutral_price(revenue, grid.by_year(billed_units(grid).sum(axis=0)))


def sapa_new(grid: Grid, price: np.ndarray) -> np.ndarray:
    """New-model SAPA invoice per month (kr.): the year's fixed price x weighted inhabitants / 12: (M, T)."""
    return price[grid.year_index][None, :] * billed_units(grid)
