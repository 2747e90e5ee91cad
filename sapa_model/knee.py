"""The knee discount (knækrabat): inhabitants beyond a threshold count at a reduced rate."""

from __future__ import annotations

import numpy as np


def weighted(population, threshold, rate) -> np.ndarray:
    """Knee-weighted inhabitants: min(P, T) + rate * max(P - T, 0); vectorised, continuous at T."""
    population = np.asarray(population, dtype=float)
    return np.minimum(population, threshold) + rate * np.maximum(population - threshold, 0.0)


def price_per_inhabitant(population, threshold, rate, price) -> np.ndarray:
    """Effective price per actual inhabitant (kr.) when each weighted inhabitant costs `price`."""
    population = np.asarray(population, dtype=float)
    return price * weighted(population, threshold, rate) / np.where(population > 0, population, 1.0)
