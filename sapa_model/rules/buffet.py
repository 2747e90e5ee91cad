"""The buffet price (operation of services on Serviceplatformen): per inhabitant, the same for all, no knee."""

from __future__ import annotations

import numpy as np

from .grid import Grid


def buffet(grid: Grid) -> np.ndarray:
    """Buffet invoice per month (kr.): price x inhabitants / 12: (M, T)."""
    return grid.per_month("buffet.price_per_inhabitant")[None, :] * grid.population_by_month / 12
