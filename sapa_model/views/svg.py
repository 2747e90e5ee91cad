"""The effective-price chart as plain SVG, for the live explorer: drawn in milliseconds, no JavaScript."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from . import fmt
from .charts import COMPONENT_HEX, labelled_payments


def _nice_ticks(maximum: float, count: int = 5) -> np.ndarray:
    """Round tick values from 0 that cover `maximum`: steps of 1, 2 or 5 times a power of ten."""
    raw = max(maximum, 1e-9) / count
    power = 10 ** np.floor(np.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return np.arange(0, maximum + step, step)


def price_curve_svg(
    curve: pd.DataFrame, points: pd.DataFrame, knees: dict[str, float], title: str, width: int = 640, height: int = 300
) -> str:
    """The effective-price chart as plain SVG, drawn in a few milliseconds, for the live explorer (no
    JavaScript needed). Same data as effective_price(); lines differ by dash as well as colour."""
    curve, points = labelled_payments(curve, points)
    left, right, top, bottom = 70, 20, 40, 40
    x_ticks, y_ticks = (
        _nice_ticks(float(curve["population"].max())),
        _nice_ticks(float(max(curve["price"].max(), points["price"].max())) * 1.05),
    )
    x_max, y_max = x_ticks[-1], y_ticks[-1]
    x = lambda v: left + (width - left - right) * v / x_max
    y = lambda v: height - bottom - (height - top - bottom) * v / y_max
    dashes = ["", ' stroke-dasharray="6 4"']
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'style="max-width:100%;height:auto" role="img" '
        f'aria-label="{html.escape(title)}" font-family="DejaVu Sans, sans-serif" font-size="11">',
        f'<text x="{left}" y="16" font-weight="bold" font-size="13">{html.escape(title)}</text>',
    ]
    for tick in y_ticks:
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{fmt.kr(tick)}</text>'
        )
    for tick in x_ticks:
        parts.append(f'<text x="{x(tick):.1f}" y="{height - bottom + 16}" text-anchor="middle">{fmt.num(tick)}</text>')
    for label, value in knees.items():
        parts.append(
            f'<line x1="{x(value):.1f}" x2="{x(value):.1f}" y1="{top}" y2="{height - bottom}" stroke="#888" '
            f'stroke-dasharray="2 2"><title>Knæk, {html.escape(label)}: {fmt.num(value)}</title></line>'
        )
    for (name, rows), dash in zip(curve.groupby("Betaling", sort=False), dashes):
        colour = COMPONENT_HEX[str(name)]
        path = " ".join(f"{x(p):.1f},{y(v):.1f}" for p, v in zip(rows["population"], rows["price"]))
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        for row in points[points["Betaling"] == name].itertuples():
            parts.append(
                f'<circle cx="{x(min(row.population, x_max)):.1f}" cy="{y(row.price):.1f}" r="2.5" '
                f'fill="{colour}"><title>{html.escape(row.kommune)}: {fmt.kr(row.price, 2)} pr. indbygger'
                f"</title></circle>"
            )
        legend_x = left + 10 + 230 * dashes.index(dash)
        parts.append(
            f'<line x1="{legend_x}" x2="{legend_x + 24}" y1="30" y2="30" stroke="{colour}" stroke-width="2"{dash}/>'
            f'<text x="{legend_x + 30}" y="34">{html.escape(str(name))}</text>'
        )
    parts.append(
        f'<text x="{(left + width - right) / 2}" y="{height - 6}" text-anchor="middle">Indbyggere</text></svg>'
    )
    return "".join(parts)
