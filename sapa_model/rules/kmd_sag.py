"""KMD Sag: the payment being phased out, falling with each monopoly-break event until the contract ends."""

from __future__ import annotations

import numpy as np

from .events import END_EVENT, event_names, happened
from .grid import Grid
from .prices import has_index, index_levels


def remaining_share(grid: Grid, effective: np.ndarray) -> np.ndarray:
    """Share of the KMD Sag starting payment still paid in each month: 1 - reductions so far; 0 once it
    ends: (..., T)."""
    names = event_names(grid.params)
    done = happened(effective, grid.months)
    reductions = np.array([grid.params.value(f"kmd_sag.reduction.{e}") if e != END_EVENT else 0.0 for e in names])
    share = 1.0 - np.einsum("e,...et->...t", reductions, done)
    return np.where(done[..., names.index(END_EVENT), :], 0.0, np.maximum(share, 0.0))


OWN = "kmd_sag.baseline."  # + a municipality code: that municipality's own starting payment (from its invoices)


def starting_payment(grid: Grid) -> np.ndarray:
    """Each municipality's yearly KMD Sag payment before any reduction (kr.): its own, where a calibration
    set one (kmd_sag.baseline.<code>), else price x baseline-year population: (M,)."""
    year = int(grid.params.value("kmd_sag.baseline_year"))
    payment = grid.params.value("kmd_sag.baseline_per_inhabitant") * grid.population_in(year)
    for name in [n for n in grid.params.parameters if n.startswith(OWN)]:
        own = grid.params[name]
        payment[grid.codes == own.kommunekode] = own.values[0]
    return payment


def per_krone(grid: Grid, effective: np.ndarray) -> np.ndarray:
    """What each krone of yearly starting payment is invoiced per month: the share still paid / 12, indexed
    each 1 January from the baseline year's prices when a price index is given (KMD's own rule): (T,)."""
    share = remaining_share(grid, effective) / 12
    if not has_index(grid.params):
        return share
    base = int(grid.params.value("kmd_sag.baseline_year"))
    levels = index_levels(grid.params, [base, *grid.years.tolist()])
    return share * (np.array([levels[int(y)] for y in grid.years]) / levels[base])[grid.year_index]


def kmd_sag(grid: Grid, effective: np.ndarray) -> np.ndarray:
    """KMD Sag invoice per month (kr.): starting payment x the share still paid / 12: (M, T)."""
    return starting_payment(grid)[:, None] * per_krone(grid, effective)[None, :]
