"""The common infrastructure: billed separately from 2020 to all 98 municipalities, with its own knee."""

from __future__ import annotations

import numpy as np

from ..parameters import ParameterSet
from .grid import Grid
from .knee import weighted


def infrastructure_first_year(params: ParameterSet) -> int:
    """The first year the infrastructure is invoiced on its own (its price is above 0 from then on)."""
    price = params["infrastructure.price_per_inhabitant"]
    return next(day.astype(object).year for day, value in zip(price.dates, price.values) if value > 0)


def infrastructure(grid: Grid) -> np.ndarray:
    """Infrastructure invoice per month (kr.): price x knee-weighted inhabitants / 12, all 98: (M, T)."""
    price = grid.per_month("infrastructure.price_per_inhabitant")
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
    return price[None, :] * people / 12
