"""KMD Sag: the payment being phased out, falling with each monopoly-break event until the contract ends."""

from __future__ import annotations

import numpy as np

from . import datasets
from .events import END_EVENT, happened
from .grid import Grid
from .scenario import events


def remaining_share(grid: Grid, effective: np.ndarray) -> np.ndarray:
    """Share of the KMD Sag baseline still paid in each month: 1 - reductions so far; 0 once it ends: (T,)."""
    names = events(grid.params)
    done = happened(effective, grid.months)
    reductions = np.array(
        [grid.params.value(f"kmd_sag.reduction.{e}") if e != END_EVENT else 0.0 for e in names]
    )
    share = 1.0 - reductions @ done
    return np.where(done[names.index(END_EVENT)], 0.0, np.maximum(share, 0.0))


def baseline(grid: Grid) -> np.ndarray:
    """Each municipality's yearly KMD Sag payment at the baseline (kr.): price x baseline-year population: (M,)."""
    year = int(grid.params.value("kmd_sag.baseline_year"))
    population = datasets.observed_population()[year].reindex(grid.codes).to_numpy(dtype=float)
    return grid.params.value("kmd_sag.baseline_per_inhabitant") * population


def kmd_sag(grid: Grid, effective: np.ndarray) -> np.ndarray:
    """KMD Sag invoice per month (kr.): baseline / 12 x the share still paid: (M, T)."""
    return baseline(grid)[:, None] / 12 * remaining_share(grid, effective)[None, :]
