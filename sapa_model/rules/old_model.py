"""The old settlement model (trappemodel): full price x population x the staircase share; no knee."""

from __future__ import annotations

import numpy as np

from .grid import Grid


def full_price_net(grid: Grid) -> np.ndarray:
    """Old model's price per inhabitant per year in each month (kr.), less the infrastructure share from 2020."""
    return grid.per_month("old_model.full_price") - grid.per_month("sapa.infrastructure_share")


def full_price_bill(grid: Grid) -> np.ndarray:
    """What each municipality would pay per month at the full price (kr.), from its billing start: (M, T)."""
    return full_price_net(grid)[None, :] / 12 * grid.population_by_month * grid.billed


def sapa_old(grid: Grid, share: np.ndarray) -> np.ndarray:
    """Old-model SAPA invoice per month (kr.): the full-price bill times its wave's staircase share
    (share: (waves, T)): (M, T)."""
    return full_price_bill(grid) * share[grid.wave_index]
