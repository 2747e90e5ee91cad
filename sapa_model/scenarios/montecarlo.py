"""Delay uncertainty: the distributions of the monopoly-break delays, and draws from them.

Each event's delay has a triangular distribution (delay_low, delay_mode, delay_high, in months). An event
reaches the waves at different times: each wave's delay is a common national part plus a wave part, mixed
by montecarlo.wave_correlation (a Gaussian copula: 1 = every wave gets the national delay, 0 = each wave's
delay is drawn on its own), always with the event's triangular distribution. The scenario's own delays
(national and per wave) are added on top.
"""

from __future__ import annotations

import math

import numpy as np

from ..data.datasets import WAVES
from ..parameters import ParameterSet
from ..rules.events import event_names, scenario_delays

_PHI = np.frompyfunc(lambda x: 0.5 * math.erfc(-x / math.sqrt(2)), 1, 1)  # the standard normal CDF


def triangular_quantile(u: np.ndarray, low: float, mode: float, high: float) -> np.ndarray:
    """The triangular distribution's inverse CDF: the delay (months) below which a share u of draws lies."""
    if high <= low:
        return np.full(np.shape(u), float(low))
    split = (mode - low) / (high - low)
    left = low + np.sqrt(u * (high - low) * (mode - low))
    right = high - np.sqrt((1 - u) * (high - low) * (high - mode))
    return np.where(u < split, left, right)


def correlated_uniforms(rng: np.random.Generator, draws: int, events: int, correlation: float) -> np.ndarray:
    """Uniforms (draws, events, waves), the same for every wave at correlation 1, independent at 0: a common
    national normal and a wave normal, mixed as sqrt(rho) * national + sqrt(1 - rho) * wave."""
    national = rng.standard_normal((draws, events, 1))
    wave = rng.standard_normal((draws, events, len(WAVES)))
    mixed = math.sqrt(correlation) * national + math.sqrt(1 - correlation) * wave
    return _PHI(mixed).astype(float)


def draw_delays(params: ParameterSet, draws: int, seed: int) -> np.ndarray:
    """Delays in whole months, (draws, events, waves): each wave's triangular(low, mode, high) draw, correlated
    across waves, plus the scenario's own delays. The distributions are validated when the scenario loads."""
    rng = np.random.default_rng(seed)
    events = event_names(params)
    u = correlated_uniforms(rng, draws, len(events), float(params.value("montecarlo.wave_correlation")))
    drawn = np.stack(
        [
            triangular_quantile(
                u[:, i, :], *(params.value(f"old_model.events.{e}.delay_{k}") for k in ("low", "mode", "high"))
            )
            for i, e in enumerate(events)
        ],
        axis=1,
    )
    return np.rint(drawn).astype(int) + scenario_delays(params)
