"""Delay uncertainty: draw the monopoly-break delays, and see how the old model's bills spread."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import datasets
from .engine import DEFAULT_YEARS, run
from .events import effective_months, staircase
from .grid import Grid
from .old_model import base_bill
from .params import ParameterSet
from .scenario import Scenario, events


def draw_delays(params: ParameterSet, draws: int, seed: int) -> np.ndarray:
    """Delays in whole months, (draws, events): triangular(low, mode, high) per event, plus the scenario's delay."""
    rng = np.random.default_rng(seed)
    columns = []
    for event in events(params):
        low, mode, high = (params.value(f"old_model.events.{event}.delay_{k}") for k in ("low", "mode", "high"))
        if not low <= mode <= high:
            raise ValueError(f"delay distribution of {event}: need low <= mode <= high, got {low}, {mode}, {high}")
        drawn = rng.triangular(low, mode, high, draws) if high > low else np.full(draws, low)
        columns.append(np.rint(drawn).astype(int) + int(params.value(f"old_model.events.{event}.delay")))
    return np.stack(columns, axis=1)


def old_bills(grid: Grid, delays: np.ndarray) -> np.ndarray:
    """Old-model SAPA bill per draw, municipality and year (kr.): (draws, M, Y), vectorised."""
    share = staircase(grid.params, effective_months(grid.params, delays), grid.months)  # (N, T)
    base = base_bill(grid)  # (M, T)
    n_y = len(grid.years)
    # Per year: (N, 12) @ (12, M): the bill of every draw and municipality.
    return np.stack(
        [share[:, 12 * y: 12 * (y + 1)] @ base[:, 12 * y: 12 * (y + 1)].T for y in range(n_y)], axis=-1
    )


@dataclass(frozen=True)
class Simulation:
    """The old model's bills under N delay draws against the new model's fixed bills."""

    codes: np.ndarray
    years: np.ndarray
    old: np.ndarray  # (N, M, Y) kr.
    new: np.ndarray  # (M, Y) kr., the same in every draw
    delays: np.ndarray  # (N, events) months
    events: list[str]

    def summary(self, quantiles: Sequence[float] = (0.05, 0.5, 0.95)) -> pd.DataFrame:
        """Per municipality and year: new bill, old mean and quantiles, and the 5-95 % spread."""
        q = np.quantile(self.old, quantiles, axis=0)  # (Q, M, Y)
        n_m, n_y = self.new.shape
        frame = pd.DataFrame({
            "kommunekode": np.repeat(self.codes, n_y),
            "year": np.tile(self.years, n_m),
            "new_dkk": self.new.ravel(),
            "old_mean_dkk": self.old.mean(axis=0).ravel(),
            **{f"old_p{round(100 * p):02d}_dkk": q[i].ravel() for i, p in enumerate(quantiles)},
        })
        frame["spread_dkk"] = frame[f"old_p{round(100 * max(quantiles)):02d}_dkk"] - frame[
            f"old_p{round(100 * min(quantiles)):02d}_dkk"]
        names = datasets.municipalities()[["kommune", "region"]]
        return frame.join(names, on="kommunekode")


def simulate(
    scenario: Scenario | str | Path | None = None,
    years: Iterable[int] = DEFAULT_YEARS,
    draws: int | None = None,
    seed: int | None = None,
) -> Simulation:
    """Monte Carlo over the event delays (parameters old_model.events.*.delay_low/mode/high), seeded."""
    bills = run(scenario, years)
    params = bills.grid.params
    draws = int(params.value("montecarlo.draws")) if draws is None else int(draws)
    seed = int(params.value("montecarlo.seed")) if seed is None else int(seed)
    delays = draw_delays(params, draws, seed)
    return Simulation(
        codes=bills.grid.codes,
        years=bills.grid.years,
        old=old_bills(bills.grid, delays),
        new=bills.yearly(("new", "sapa")),
        delays=delays,
        events=events(params),
    )


__all__ = ["Simulation", "draw_delays", "old_bills", "simulate"]
