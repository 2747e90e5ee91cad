"""Vega expressions written with Python's arithmetic, so a rule's formula runs in the browser as it runs in numpy:
the reports' sliders recompute with the rules' own formulas."""

from __future__ import annotations


class VegaExpr:
    """A Vega expression built with Python's arithmetic: the rules' formulas, written for the browser."""

    def __init__(self, text: str):
        self.text = text

    def __str__(self) -> str:
        return self.text

    @staticmethod
    def of(value) -> VegaExpr:
        return value if isinstance(value, VegaExpr) else VegaExpr(repr(float(value)))

    def _op(self, symbol: str, other, swap: bool = False) -> VegaExpr:
        left, right = (VegaExpr.of(other), self) if swap else (self, VegaExpr.of(other))
        return VegaExpr(f"({left} {symbol} {right})")

    def __add__(self, other):
        return self._op("+", other)

    def __radd__(self, other):
        return self._op("+", other, swap=True)

    def __sub__(self, other):
        return self._op("-", other)

    def __rsub__(self, other):
        return self._op("-", other, swap=True)

    def __mul__(self, other):
        return self._op("*", other)

    def __rmul__(self, other):
        return self._op("*", other, swap=True)

    def __truediv__(self, other):
        return self._op("/", other)


class VegaOps:
    """minimum, maximum and the zero-safe division of rules.formula, as Vega expressions."""

    @staticmethod
    def minimum(a, b) -> VegaExpr:
        return VegaExpr(f"min({VegaExpr.of(a)}, {VegaExpr.of(b)})")

    @staticmethod
    def maximum(a, b) -> VegaExpr:
        return VegaExpr(f"max({VegaExpr.of(a)}, {VegaExpr.of(b)})")

    @staticmethod
    def divide(a, b) -> VegaExpr:
        a, b = VegaExpr.of(a), VegaExpr.of(b)
        return VegaExpr(f"({b} > 0 ? {a} / {b} : 0)")


VEGA = VegaOps()
