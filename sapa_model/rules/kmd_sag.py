"""KMD Sag: the payment being phased out, falling with each monopoly-break event until the contract ends."""

from __future__ import annotations

import numpy as np

from .calendar import year_of
from .events import END_EVENT, event_names, happened
from .grid import Grid
from .prices import PricePath, has_index, index_levels, price_path


def remaining_share(grid: Grid, effective: np.ndarray, months: np.ndarray | None = None) -> np.ndarray:
    """Share of the KMD Sag starting payment a wave still pays in each month (default: the grid's): 1 - the
    reductions so far; 0 once it ends: (..., waves, T)."""
    names = event_names(grid.params)
    done = happened(effective, grid.months if months is None else months)
    reductions = np.array([grid.params.value(f"kmd_sag.reduction.{e}") if e != END_EVENT else 0.0 for e in names])
    share = 1.0 - np.einsum("e,...ewt->...wt", reductions, done)
    return np.where(done[..., names.index(END_EVENT), :, :], 0.0, np.maximum(share, 0.0))


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


def per_krone(grid: Grid, effective: np.ndarray, months: np.ndarray | None = None) -> np.ndarray:
    """What each krone of yearly starting payment is invoiced per month in each wave: the share still paid / 12,
    indexed each 1 January from the baseline year's prices when a price index is given (KMD's own rule):
    (..., waves, T)."""
    months = grid.months if months is None else months
    share = remaining_share(grid, effective, months) / 12
    if not has_index(grid.params):
        return share
    base, years = int(grid.params.value("kmd_sag.baseline_year")), year_of(months)
    levels = index_levels(grid.params, [base, *years.tolist()])
    return share * np.array([levels[int(y)] / levels[base] for y in years])


PAID = "kmd_sag.paid."  # + a municipality code: what it paid a year, from invoices where the model has it switched off


def paid_paths(grid: Grid) -> dict[int, PricePath]:
    """For each municipality whose invoices show KMD Sag paid in years the model has it switched off
    (kmd_sag.paid.<code>): its yearly payment in the grid's years, known from those invoices and carried forward
    after the last one (as prices.carry_forward says); by the municipality's row in the grid."""
    paths = {}
    for name in [n for n in grid.params.parameters if n.startswith(PAID)]:
        row = int(np.searchsorted(grid.codes, int(grid.params.parameters[name].kommunekode or 0)))
        paths[row] = price_path(grid.params, (name,), grid.years.tolist())
    return paths


def kmd_sag(grid: Grid, effective: np.ndarray, paid: dict[int, PricePath] | None = None) -> np.ndarray:
    """KMD Sag invoice per month (kr.): starting payment x its wave's share still paid / 12: (M, T); where a
    municipality's invoices show it paid later than the model has it (`paid`, see paid_paths), that payment / 12
    from the first such year on."""
    monthly = starting_payment(grid)[:, None] * per_krone(grid, effective)[grid.wave_index]
    for row, path in (paid or {}).items():
        known = ~np.isnan(path.values)[grid.year_index]
        monthly[row, known] = path.values[grid.year_index][known] / 12
    return monthly
