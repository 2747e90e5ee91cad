"""The arithmetic a formula needs beyond + - * /, so the same formula can run on numpy arrays or be
written out for another evaluator (the reports' charts evaluate the knee in the browser)."""

from __future__ import annotations

import numpy as np


class NumpyOps:
    """minimum, maximum and a division that gives 0 where the divisor is 0, on numpy arrays."""

    minimum = staticmethod(np.minimum)
    maximum = staticmethod(np.maximum)

    @staticmethod
    def divide(numerator, denominator):
        numerator, denominator = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
        out = np.zeros(np.broadcast(numerator, denominator).shape)
        return np.divide(numerator, denominator, out=out, where=denominator > 0)


NUMPY = NumpyOps()
