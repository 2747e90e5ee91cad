"""The common infrastructure (billed separately from 2020, with its own knee) and the buffet price."""

from __future__ import annotations

import numpy as np

from .grid import Grid
from .knee import weighted


def infrastructure(grid: Grid) -> np.ndarray:
    """Infrastructure invoice per month (kr.): price x knee-weighted inhabitants / 12, all 98: (M, T)."""
    price = grid.monthly("infrastructure.price_per_inhabitant")
    # Before the separate billing starts the price is 0 and the knee has no value yet; read it from then on.
    billing = price > 0
    units = np.zeros_like(grid.monthly_population)
    if billing.any():
        days = grid.days[billing]
        units[:, billing] = weighted(
            grid.monthly_population[:, billing],
            grid.params.series("infrastructure.knee.threshold", days),
            grid.params.series("infrastructure.knee.rate", days),
        )
    return price[None, :] * units / 12


def buffet(grid: Grid) -> np.ndarray:
    """Buffet (operation of services) invoice per month (kr.): price x inhabitants / 12, no knee: (M, T)."""
    return grid.monthly("buffet.price_per_inhabitant")[None, :] * grid.monthly_population / 12
