"""Delay uncertainty: the distributions of the monopoly-break delays, and draws from them."""

from __future__ import annotations

import numpy as np

from ..parameters import ParameterSet
from ..rules.events import event_names


def draw_delays(params: ParameterSet, draws: int, seed: int) -> np.ndarray:
    """Delays in whole months, (draws, events): triangular(low, mode, high) per event, plus the scenario's
    delay. The distributions are validated when the scenario loads (low <= mode <= high)."""
    rng = np.random.default_rng(seed)
    columns = []
    for event in event_names(params):
        low, mode, high = (params.value(f"old_model.events.{event}.delay_{k}") for k in ("low", "mode", "high"))
        drawn = rng.triangular(low, mode, high, draws) if high > low else np.full(draws, low)
        columns.append(np.rint(drawn).astype(int) + int(params.value(f"old_model.events.{event}.delay")))
    return np.stack(columns, axis=1)
