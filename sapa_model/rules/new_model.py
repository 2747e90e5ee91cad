"""The new settlement model: a fixed price per calendar year per knee-weighted inhabitant."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .formula import NUMPY
from .grid import Grid
from .knee import weighted


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


def yearly_price(grid: Grid, planned_old: Callable[[], np.ndarray]) -> np.ndarray:
    """SAPA price per knee-weighted inhabitant for each year (kr.): given, or derived revenue neutral.

    Derived: the price at which the 98 municipalities together pay in each year exactly what the old
    model charges on the planned timeline (`planned_old()`, (M, T)): sum(old) / sum(weighted x months/12).
    """
    if grid.params.value("sapa.price.method") == "given":
        january = np.array([np.datetime64(f"{y}-01-01") for y in grid.years])
        return grid.params.series("sapa.price.per_inhabitant", january)
    revenue = grid.by_year(planned_old().sum(axis=0))
    return neutral_price(revenue, grid.by_year(billed_units(grid).sum(axis=0)))


def calibrated_prices(grid: Grid) -> dict[int, float]:
    """Prices solved from real invoices (sapa.price.calibrated), for those of the grid's years that have one;
    each holds for its own year and replaces that year's derived or given price."""
    if not grid.params.parameters["sapa.price.calibrated"].values:
        return {}
    solved = grid.params["sapa.price.calibrated"].by_year()
    return {int(y): float(solved[y]) for y in grid.years if y in solved}


def carried_invoice_prices(grid: Grid) -> dict[int, float]:
    """With sapa.price.after_invoices 'last_invoice': the last invoiced price for each of the grid's years after
    the last invoiced one (read past the parameter's last value, so those years are marked as carried
    forward); else nothing, and those years keep their own price."""
    solved = grid.params.parameters["sapa.price.calibrated"].by_year()
    later = [int(y) for y in grid.years if solved and y > max(solved)]
    if not later or grid.params.value("sapa.price.after_invoices") != "last_invoice":
        return {}
    january = np.array([f"{y}-01-01" for y in later], dtype="datetime64[D]")
    return dict(zip(later, map(float, grid.params.series("sapa.price.calibrated", january))))


def sapa_new(grid: Grid, price: np.ndarray) -> np.ndarray:
    """New-model SAPA invoice per month (kr.): the year's fixed price x weighted inhabitants / 12: (M, T)."""
    return price[grid.year_index][None, :] * billed_units(grid)
