"""The new settlement model: a fixed price per calendar year per knee-weighted inhabitant."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .grid import Grid
from .knee import weighted


def billed_units(grid: Grid) -> np.ndarray:
    """Knee-weighted inhabitants x months billed / 12, per month: (M, T). Price x units = invoice."""
    units = weighted(
        grid.monthly_population, grid.monthly("sapa.knee.threshold"), grid.monthly("sapa.knee.rate")
    )
    return units / 12 * grid.billed


def yearly_price(grid: Grid, planned_old: Callable[[], np.ndarray]) -> np.ndarray:
    """SAPA price per knee-weighted inhabitant for each year (kr.): given, or derived revenue neutral.

    Derived: the price at which the 98 municipalities together pay in each year exactly what the old
    model charges on the planned timeline (`planned_old()`, (M, T)): sum(old) / sum(weighted x months/12).
    """
    if grid.params.value("sapa.price.method") == "given":
        january = np.array([np.datetime64(f"{y}-01-01") for y in grid.years])
        return grid.params.series("sapa.price.per_inhabitant", january)
    revenue = grid.by_year(planned_old().sum(axis=0))
    units = grid.by_year(billed_units(grid).sum(axis=0))
    return np.divide(revenue, units, out=np.zeros_like(revenue), where=units > 0)


def sapa_new(grid: Grid, price: np.ndarray) -> np.ndarray:
    """New-model SAPA invoice per month (kr.): the year's fixed price x weighted inhabitants / 12: (M, T)."""
    return price[grid.year_index][None, :] * billed_units(grid)
