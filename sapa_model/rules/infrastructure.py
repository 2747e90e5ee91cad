"""The common infrastructure: billed separately from 2020 to all 98 municipalities, with its own knee."""

from __future__ import annotations

import numpy as np

from ..parameters import ParameterSet
from .grid import Grid
from .knee import weighted
from .prices import PricePath, price_path


def infrastructure_first_year(params: ParameterSet) -> int:
    """The first year the infrastructure is invoiced on its own (its price is above 0 from then on)."""
    price = params["infrastructure.price_per_inhabitant"]
    return next(day.astype(object).year for day, value in zip(price.dates, price.values) if value > 0)


PRICES = ("infrastructure.price_announced", "infrastructure.price_calibrated")  # first wins: announced, invoiced
DOCUMENTED = "infrastructure.price_per_inhabitant"  # the documented price, known for the years it covers


def infrastructure_price(params: ParameterSet, years) -> PricePath:
    """The infrastructure price of each year: announced, invoiced or documented, else carried forward."""
    return price_path(params, PRICES, years, DOCUMENTED)


def infrastructure_units(grid: Grid, price: np.ndarray) -> np.ndarray:
    """Knee-weighted inhabitants / 12 in each month the infrastructure is billed (its price, (T,), above 0),
    all 98 municipalities: (M, T). Price x units = invoice."""
    # Before the separate billing starts the price is 0 and the knee has no value yet; read it from then on.
    billing = price > 0
    people = np.zeros_like(grid.population_by_month)
    if billing.any():
        days = grid.days[billing]
        people[:, billing] = weighted(
            grid.population_by_month[:, billing],
            grid.params.series("infrastructure.knee.threshold", days),
            grid.params.series("infrastructure.knee.rate", days),
        )
    return people / 12


def infrastructure(grid: Grid, price: np.ndarray) -> np.ndarray:
    """Infrastructure invoice per month (kr.): the month's price (T,) x knee-weighted inhabitants / 12: (M, T)."""
    return price[None, :] * infrastructure_units(grid, price)
