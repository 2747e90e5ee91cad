"""The knee discount (knækrabat): inhabitants beyond a threshold count at a reduced rate."""

from __future__ import annotations

import numpy as np

from .formula import NUMPY


def weighted(population, threshold, rate, ops=NUMPY):
    """Knee-weighted inhabitants: min(P, T) + rate * max(P - T, 0); vectorised, continuous at T.

    `ops` supplies minimum and maximum (numpy by default); the reports pass an expression writer, so the
    browser evaluates this very formula.
    """
    if ops is NUMPY:
        population = np.asarray(population, dtype=float)
    return ops.minimum(population, threshold) + rate * ops.maximum(population - threshold, 0.0)


def price_per_inhabitant(population, threshold, rate, price) -> np.ndarray:
    """Effective price per actual inhabitant (kr.) when each weighted inhabitant costs `price`."""
    return NUMPY.divide(price * weighted(population, threshold, rate), population)
