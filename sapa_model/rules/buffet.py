"""The buffet price (operation of services on Serviceplatformen): per inhabitant, the same for all, no knee."""

from __future__ import annotations

import numpy as np

from ..parameters import ParameterSet
from .grid import Grid
from .prices import PricePath, price_path

PRICES = ("buffet.price_announced", "buffet.price_calibrated")  # first wins: announced, invoiced
DOCUMENTED = "buffet.price_per_inhabitant"  # the documented prices, known for the years they cover


def buffet_price(params: ParameterSet, years) -> PricePath:
    """The buffet price of each year: announced, invoiced or documented, else carried forward."""
    return price_path(params, PRICES, years, DOCUMENTED)


def buffet_units(grid: Grid) -> np.ndarray:
    """Inhabitants / 12 in each month: (M, T). Price x units = invoice."""
    return grid.population_by_month / 12


def buffet(grid: Grid, price: np.ndarray) -> np.ndarray:
    """Buffet invoice per month (kr.): the month's price (T,) x inhabitants / 12: (M, T)."""
    return price[None, :] * buffet_units(grid)
