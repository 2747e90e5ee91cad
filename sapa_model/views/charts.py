"""Charts (Altair) with Danish formats: one look for the models and the components in every chart."""

from __future__ import annotations

from typing import Any, cast

import altair as alt
import pandas as pd

from ..components import COMPONENTS
from ..engine import neutral_price, units, weighted
from . import fmt
from .labels import BAND, COMPONENT, MODEL_SHORT, POPULATION_STATUS, QUANTILE
from .vega import VEGA, VegaExpr

# One order and one look for the models everywhere: the new model first (the one budgeted), the old after it;
# told apart by colour, dash and point shape, so no reader depends on colour alone.
MODEL_ORDER = [MODEL_SHORT["new"], MODEL_SHORT["old"]]
MODEL_COLOURS = alt.Scale(domain=MODEL_ORDER, range=["#1f5f8b", "#b04a2f"])
MODEL_SCALE: dict[str, Any] = {
    "color": alt.Color(
        "Model:N",
        scale=MODEL_COLOURS,
        legend=alt.Legend(title=None, orient="top"),
    ),
    "strokeDash": alt.StrokeDash(
        "Model:N",
        scale=alt.Scale(domain=MODEL_ORDER, range=[[1, 0], [6, 3]]),
        legend=alt.Legend(title=None, orient="top"),
    ),
    "shape": alt.Shape(
        "Model:N",
        scale=alt.Scale(domain=MODEL_ORDER, range=["circle", "square"]),
        legend=alt.Legend(title=None, orient="top"),
    ),
}
# One colour and one stacking order per payment in every chart (and the explorer's own SVG): the registry's.
COMPONENT_ORDER = [c.label for c in COMPONENTS]
COMPONENT_HEX = {c.label: c.colour for c in COMPONENTS}
COMPONENT_COLOURS = alt.Scale(domain=COMPONENT_ORDER, range=list(COMPONENT_HEX.values()))
# How observed and projected populations are drawn: solid and filled, dashed and hollow.
POPULATION_ORDER = [POPULATION_STATUS[False], POPULATION_STATUS[True]]
# The ranges the knee can be moved over, in the reports' sliders and the live explorer: (min, max, step).
KNEE_SLIDERS = {"threshold": (50_000, 400_000, 5_000), "rate": (0.0, 1.0, 0.05)}


def _with_model_names(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """The columns a chart draws (the rest would only swell the page), with the models' Danish names."""
    data = frame[list(dict.fromkeys(c for c in columns if c and c != "Model"))]
    return data.assign(Model=frame["model"].map(MODEL_SHORT))


def _house_style() -> alt.Config:
    """The configuration every chart shares: font sizes, the legend's label width, no frame around the view."""
    return alt.Config(
        axis=alt.AxisConfig(labelFontSize=11, titleFontSize=12),
        legend=alt.LegendConfig(labelFontSize=11, titleFontSize=11, labelLimit=260),
        header=alt.HeaderConfig(labelFontSize=12, titleFontSize=12),
        title=alt.TitleConfig(fontSize=14, subtitleFontSize=11),
        view=alt.ViewConfig(stroke=None),
    )


def finish(
    chart: alt.TopLevelMixin, title: str, description: str, subtitle: str | None = None, **size: Any
) -> alt.Chart:
    """Give a chart just built its title, subtitle and description (read aloud by screen readers), its `size`
    (width, height) and the house style, in place: each of Altair's .properties() and .configure_...() would
    copy a layered chart whole."""
    finished = cast(alt.Chart, chart)  # a Chart, LayerChart or FacetChart: each has these properties
    finished.title = alt.TitleParams(title, subtitle=subtitle or alt.Undefined, anchor="start")
    finished.description = description
    for name, value in size.items():
        setattr(finished, name, value)
    finished.config = _house_style()
    return finished


def model_lines(
    frame: pd.DataFrame,
    value: str,
    title: str,
    description: str,
    axis_title: str,
    kind: str = "kr",
    facet: str | None = None,
    subtitle: str | None = None,
) -> alt.Chart:
    """Lines over years, old vs new (dashed vs solid, squares vs circles); optional small multiples."""
    data = _with_model_names(frame, "year", value, facet or "")
    tooltip = [
        alt.Tooltip("year:O", title="År"),
        alt.Tooltip("Model:N"),
        alt.Tooltip(f"{value}:Q", title=axis_title, format=fmt.d3(kind)),
    ]
    if facet:
        tooltip.insert(0, alt.Tooltip(f"{facet}:N"))
    base = alt.Chart().encode(
        x=alt.X("year:O", title="År", axis=alt.Axis(labelAngle=-90 if facet else 0)),
        y=alt.Y(f"{value}:Q", title=axis_title, axis=alt.Axis(format=fmt.d3(kind))),
        **MODEL_SCALE,
        tooltip=tooltip,
    )
    chart = alt.layer(base.mark_line(strokeWidth=2), base.mark_point(filled=True, size=45), data=data)
    if facet:
        facets = (
            chart.properties(width=330, height=160)
            .facet(facet=alt.Facet(f"{facet}:N", title=None), columns=2)
            .resolve_scale(y="independent")
        )
        return finish(facets, title, description, subtitle)
    return finish(chart, title, description, subtitle, width=620, height=260)


def risk_band(frame: pd.DataFrame, title: str, description: str, axis_title: str, terms: str = "") -> alt.Chart:
    """The whole bill per year under each model: the 5-95 % band over the drawn delays (shaded), the expected
    bill (line) and the bill on the planned timeline (dotted), old and new told apart as in model_lines.
    `frame` has year, model ('old'/'new'), timeline, mean, p05, p95."""
    data = _with_model_names(frame[frame["model"].isin(["old", "new"])], "year", "timeline", "mean", "p05", "p95")
    tooltip = [
        alt.Tooltip("year:O", title="År"),
        alt.Tooltip("Model:N"),
        alt.Tooltip("mean:Q", title="Forventet", format=fmt.d3("kr")),
        alt.Tooltip("p05:Q", title=QUANTILE["p05"], format=fmt.d3("kr")),
        alt.Tooltip("p95:Q", title=QUANTILE["p95"], format=fmt.d3("kr")),
        alt.Tooltip("timeline:Q", title="Planlagt tidsplan", format=fmt.d3("kr")),
    ]
    x = alt.X("year:O", title="År", axis=alt.Axis(labelAngle=0))
    band = (
        alt.Chart()
        .mark_area(opacity=0.22)
        .encode(
            x=x,
            y=alt.Y("p05:Q", title=axis_title, axis=alt.Axis(format=fmt.d3("kr"))),
            y2=alt.Y2("p95:Q"),
            color=MODEL_SCALE["color"],
            tooltip=tooltip,
        )
    )
    expected = (
        alt.Chart()
        .mark_line(strokeWidth=2, point=True)
        .encode(
            x=x, y=alt.Y("mean:Q"), color=MODEL_SCALE["color"], strokeDash=MODEL_SCALE["strokeDash"], tooltip=tooltip
        )
    )
    planned = (
        alt.Chart()
        .mark_line(strokeWidth=1.5, strokeDash=[1, 3])
        .encode(
            x=x,
            y=alt.Y("timeline:Q"),
            color=MODEL_SCALE["color"],
            tooltip=tooltip,
        )
    )
    return finish(
        alt.layer(band, planned, expected, data=data),
        title,
        description,
        subtitle=f"Skygge: {BAND} af de simulerede forsinkelser; linje: forventet; prikket: planlagt tidsplan"
        + (f" ({terms})" if terms else ""),
        width=620,
        height=260,
    )


def _stacked(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Model names, and each component's place in the stack (SAPA at the bottom), for the stacked charts."""
    data = _with_model_names(frame, "Komponent", *columns)
    return data.assign(stack=data["Komponent"].map({c: i for i, c in enumerate(COMPONENT_ORDER)}))


def stacked_components(
    frame: pd.DataFrame,
    title: str,
    description: str,
    kind: str = "kr",
    value: str = "amount_dkk",
    axis_title: str = "kr.",
    column: str = "Model",
    subtitle: str | None = None,
) -> alt.Chart:
    """Bars per year with the components stacked; one panel per model."""
    data = _stacked(frame, "year", value, column)
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("year:O", title="År", axis=alt.Axis(labelAngle=-90)),
            y=alt.Y(f"sum({value}):Q", title=axis_title, axis=alt.Axis(format=fmt.d3(kind))),
            color=alt.Color("Komponent:N", legend=alt.Legend(orient="top", title=None), scale=COMPONENT_COLOURS),
            order=alt.Order("stack:Q"),
            tooltip=[
                alt.Tooltip("year:O", title="År"),
                alt.Tooltip("Model:N"),
                alt.Tooltip("Komponent:N"),
                alt.Tooltip(f"sum({value}):Q", title=axis_title, format=fmt.d3(kind)),
            ],
        )
        .properties(width=300, height=240)
        .facet(facet=alt.Facet(f"{column}:N", title=None, sort=MODEL_ORDER), columns=2)
    )
    return finish(chart, title, description, subtitle)


def diverging_bars(
    frame: pd.DataFrame,
    value: str,
    label: str,
    title: str,
    description: str,
    axis_title: str,
    kind: str = "kr2",
    tooltip_extra: list | None = None,
    labels: tuple[str, str] = ("Betaler mere", "Betaler mindre"),
    subtitle: str | None = None,
) -> alt.Chart:
    """Horizontal bars right (labels[0]: above zero) or left (labels[1]) of zero, sorted; colour repeats the side."""
    extra = [tip.shorthand.split(":")[0] for tip in tooltip_extra or []]
    data = frame[[label, value, *extra]]
    data = data.assign(Retning=data[value].map(lambda v: labels[0] if v > 0 else labels[1]))
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y(
                f"{label}:N",
                sort=alt.EncodingSortField(value, order="descending"),
                title=None,
                axis=alt.Axis(labelFontSize=11),
            ),
            x=alt.X(f"{value}:Q", title=axis_title, axis=alt.Axis(format=fmt.d3(kind))),
            color=alt.Color(
                "Retning:N",
                scale=alt.Scale(domain=list(labels), range=["#b04a2f", "#2e7d4f"]),
                legend=alt.Legend(title=None, orient="top"),
            ),
            tooltip=[alt.Tooltip(f"{label}:N"), alt.Tooltip(f"{value}:Q", title=axis_title, format=fmt.d3(kind))]
            + (tooltip_extra or []),
        )
        .properties(width=560, height=alt.Step(13))
    )
    return finish(chart, title, description, subtitle)


def population_path(frame: pd.DataFrame, title: str, description: str, last_observed: int) -> alt.Chart:
    """Population on 1 January over the years; projected years drawn hollow and dashed."""
    data = frame[["year", "population", "projected"]]
    data = data.assign(Status=data["projected"].map(POPULATION_STATUS))
    base = alt.Chart().encode(
        x=alt.X("year:O", title="År", axis=alt.Axis(labelAngle=0)),
        y=alt.Y(
            "population:Q",
            title="Indbyggere 1. januar",
            scale=alt.Scale(zero=False),
            axis=alt.Axis(format=fmt.d3("num")),
        ),
        tooltip=[
            alt.Tooltip("year:O", title="År"),
            alt.Tooltip("population:Q", title="Indbyggere", format=fmt.d3("num")),
            alt.Tooltip("Status:N"),
        ],
    )
    legend = alt.Legend(title=None, orient="top")  # one legend: line, point and fill of each status
    line = base.mark_line(color="#555").encode(
        strokeDash=alt.StrokeDash(
            "Status:N", scale=alt.Scale(domain=POPULATION_ORDER, range=[[1, 0], [4, 3]]), legend=legend
        )
    )
    points = base.mark_point(size=40, color="#555").encode(
        shape=alt.Shape(
            "Status:N", scale=alt.Scale(domain=POPULATION_ORDER, range=["circle", "triangle"]), legend=legend
        ),
        fill=alt.Fill("Status:N", scale=alt.Scale(domain=POPULATION_ORDER, range=["#555", "white"]), legend=legend),
    )
    subtitle = f"Observeret til og med {last_observed}, derefter fremskrevet"
    return finish(alt.layer(line, points, data=data), title, description, subtitle, width=620, height=220)


def labelled_payments(curve: pd.DataFrame, points: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The price curve and points with each payment's Danish name (column Betaling) instead of its code."""
    named = [f.assign(Betaling=f["component"].map(COMPONENT)) for f in (curve, points)]
    return named[0][["population", "Betaling", "price"]], named[1][["kommune", "population", "Betaling", "price"]]


def effective_price(
    curve: pd.DataFrame, points: pd.DataFrame, title: str, description: str, thresholds: dict[str, float]
) -> alt.Chart:
    """Effective price per inhabitant against population, with the knee marked and the 98 as points; `curve` and
    `points` as analysis.knee.effective_price_curve returns them."""
    curve, points = labelled_payments(curve, points)
    drawn = [c for c in COMPONENT_ORDER if c in set(curve["Betaling"])]  # the legend lists only what is drawn
    colours = alt.Scale(domain=drawn, range=[COMPONENT_HEX[c] for c in drawn])
    legend = alt.Legend(orient="top", title=None)
    lines = (
        alt.Chart(curve)
        .mark_line(strokeWidth=2)
        .encode(
            x=alt.X("population:Q", title="Indbyggere", axis=alt.Axis(format=fmt.d3("num"), labelFlush=True)),
            y=alt.Y("price:Q", title="Pris pr. indbygger, kr.", axis=alt.Axis(format=fmt.d3("kr2"))),
            color=alt.Color("Betaling:N", legend=legend, scale=colours),
            strokeDash=alt.StrokeDash(
                "Betaling:N", legend=legend, scale=alt.Scale(domain=drawn, range=[[1, 0], [6, 3]][: len(drawn)])
            ),
        )
    )
    dots = (
        alt.Chart(points)
        .mark_point(size=35, filled=True)
        .encode(
            x=alt.X("population:Q"),
            y=alt.Y("price:Q"),
            color=alt.Color("Betaling:N", legend=legend, scale=colours),
            tooltip=[
                alt.Tooltip("kommune:N", title="Kommune"),
                alt.Tooltip("Betaling:N"),
                alt.Tooltip("population:Q", title="Indbyggere", format=fmt.d3("num")),
                alt.Tooltip("price:Q", title="Pris pr. indbygger", format=fmt.d3("kr2")),
            ],
        )
    )
    rules = (
        alt.Chart(pd.DataFrame({"x": list(thresholds.values()), "label": list(thresholds.keys())}))
        .mark_rule(strokeDash=[2, 2], color="#888")
        .encode(x=alt.X("x:Q"), tooltip=alt.Tooltip("label:N", title="Knæk"))
    )
    return finish(alt.layer(lines, dots, rules), title, description, width=620, height=300)


def knee_explorer(
    municipal: pd.DataFrame, revenue: float, threshold: float, rate: float, title: str, description: str
) -> alt.Chart:
    """Sliders for the knee (threshold, rate) that recompute every municipality's bill in the browser.

    `municipal` has kommune, population, months (months billed in the year) and baseline (kr.); the price
    is re-derived from `revenue` so the total stays the same, with the formulas of rules.knee and
    rules.new_model written out as Vega expressions.
    """
    low, high, step = KNEE_SLIDERS["threshold"]
    t = alt.param(
        name="knaek",
        value=threshold,
        bind=alt.binding_range(min=low, max=high, step=step, name="Knækgrænse (indbyggere) "),
    )
    low, high, step = KNEE_SLIDERS["rate"]
    r = alt.param(
        name="sats",
        value=rate,
        bind=alt.binding_range(min=low, max=high, step=step, name="Knæksats (andel af prisen) "),
    )
    # The package's own formulas, written out as Vega expressions: the browser computes what compute() does.
    people = weighted(VegaExpr("datum.population"), VegaExpr("knaek"), VegaExpr("sats"), ops=VEGA)
    price = neutral_price(VegaExpr(repr(float(revenue))), VegaExpr("datum.total_units"), ops=VEGA)
    chart = (
        alt.Chart(municipal)
        .add_params(t, r)
        .transform_calculate(units=str(units(people, VegaExpr("datum.months"))))
        .transform_joinaggregate(total_units="sum(units)")
        .transform_calculate(
            bill=str(price * VegaExpr("datum.units")),
            change_per_inhabitant="round(100 * (datum.bill - datum.baseline) / datum.population) / 100",
        )
        .mark_point(filled=True, size=40)
        .encode(
            x=alt.X(
                "population:Q", title="Indbyggere", scale=alt.Scale(type="log"), axis=alt.Axis(format=fmt.d3("num"))
            ),
            y=alt.Y(
                "change_per_inhabitant:Q",
                title="Ændring pr. indbygger mod scenariet, kr.",
                scale=alt.Scale(domain={"unionWith": [-1, 1]}),
                axis=alt.Axis(format=fmt.d3("kr2")),
            ),
            color=alt.condition("datum.change_per_inhabitant > 0", alt.value("#b04a2f"), alt.value("#2e7d4f")),
            shape=alt.condition(
                "datum.change_per_inhabitant > 0", alt.value("triangle-up"), alt.value("triangle-down")
            ),
            tooltip=[
                alt.Tooltip("kommune:N", title="Kommune"),
                alt.Tooltip("population:Q", title="Indbyggere", format=fmt.d3("num")),
                alt.Tooltip("bill:Q", title="SAPA-regning", format=fmt.d3("kr")),
                alt.Tooltip("baseline:Q", title="I scenariet", format=fmt.d3("kr")),
                alt.Tooltip("change_per_inhabitant:Q", title="Ændring pr. indbygger", format=fmt.d3("kr2")),
            ],
        )
        .properties(width=620, height=300)
    )
    # The sliders' readouts in Danish formats (150.000; 50 %), written by views/render.py as they move.
    chart = chart.properties(usermeta={"sapaReadout": {"knaek": "num", "sats": "pct"}})
    return finish(
        chart,
        title,
        description,
        subtitle="Prisen genberegnes for hver indstilling, så kommunerne tilsammen betaler det samme",
    )


def monthly_bars(frame: pd.DataFrame, title: str, description: str, basis: str = "") -> alt.Chart:
    """Invoices per month, components stacked (in the same order and colours as by year), one panel per model."""
    data = _stacked(frame, "Måned", "amount_dkk")
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("Måned:O", sort=None, title=None, axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("sum(amount_dkk):Q", title="kr. pr. måned", axis=alt.Axis(format=fmt.d3("kr"))),
            color=alt.Color("Komponent:N", legend=alt.Legend(orient="top", title=None), scale=COMPONENT_COLOURS),
            order=alt.Order("stack:Q"),
            tooltip=[
                alt.Tooltip("Måned:O"),
                alt.Tooltip("Model:N"),
                alt.Tooltip("Komponent:N"),
                alt.Tooltip("sum(amount_dkk):Q", title="kr.", format=fmt.d3("kr")),
            ],
        )
        .properties(width=300, height=220)
        .facet(facet=alt.Facet("Model:N", title=None, sort=MODEL_ORDER), columns=2)
    )
    return finish(chart, title, description, subtitle=basis or None)


def municipal_lines(frame: pd.DataFrame, title: str, description: str) -> alt.Chart:
    """One line per municipality over the years, small multiples by region; projected years hollow."""
    data = frame[["kommune", "region", "year", "amount_dkk", "per_inhabitant", "projected"]]
    data = data.assign(Status=data["projected"].map(POPULATION_STATUS))
    tooltip = [
        alt.Tooltip("kommune:N", title="Kommune"),
        alt.Tooltip("year:O", title="År"),
        alt.Tooltip("amount_dkk:Q", title="Betaling", format=fmt.d3("kr")),
        alt.Tooltip("per_inhabitant:Q", title="Pr. indbygger", format=fmt.d3("kr2")),
        alt.Tooltip("Status:N", title="Indbyggertal"),
    ]
    base = alt.Chart().encode(
        x=alt.X("year:O", title="År", axis=alt.Axis(labelAngle=-90)),
        y=alt.Y("amount_dkk:Q", title="kr. pr. år", axis=alt.Axis(format=fmt.d3("kr"))),
        detail=alt.Detail("kommune:N"),
        tooltip=tooltip,
    )
    points = base.mark_point(size=18, color="#1f5f8b").encode(
        fill=alt.Fill(
            "Status:N",
            scale=alt.Scale(domain=POPULATION_ORDER, range=["#1f5f8b", "white"]),
            legend=alt.Legend(title="Indbyggertal", orient="top"),
        )
    )
    chart = (
        alt.layer(base.mark_line(strokeWidth=1, color="#1f5f8b", opacity=0.6), points, data=data)
        .properties(width=300, height=170)
        .facet(facet=alt.Facet("region:N", title=None), columns=2)
        .resolve_scale(y="independent")
    )
    return finish(chart, title, description)


def outlook_band(frame: pd.DataFrame, title: str, description: str, axis_title: str) -> alt.Chart:
    """The budget years' whole bill under the new model: the 5-95 % band over the drawn populations, prices and
    P/L (shaded) and the budgeted figure (line). `frame` has year, central, mean, p05, p95."""
    data = frame[["year", "central", "p05", "p95"]]
    tooltip = [
        alt.Tooltip("year:O", title="År"),
        alt.Tooltip("central:Q", title="Budgetteret", format=fmt.d3("kr")),
        alt.Tooltip("p05:Q", title=QUANTILE["p05"], format=fmt.d3("kr")),
        alt.Tooltip("p95:Q", title=QUANTILE["p95"], format=fmt.d3("kr")),
    ]
    x = alt.X("year:O", title="År", axis=alt.Axis(labelAngle=0))
    colour = MODEL_COLOURS.range[0]
    band = (
        alt.Chart()
        .mark_area(opacity=0.25, color=colour)
        .encode(
            x=x,
            y=alt.Y("p05:Q", title=axis_title, axis=alt.Axis(format=fmt.d3("kr"))),
            y2=alt.Y2("p95:Q"),
            tooltip=tooltip,
        )
    )
    line = (
        alt.Chart()
        .mark_line(point=True, strokeWidth=2, color=colour)
        .encode(x=x, y=alt.Y("central:Q"), tooltip=tooltip)
    )
    subtitle = f"Skygge: {BAND} af forløbene; linje: budgetteret"
    return finish(alt.layer(band, line, data=data), title, description, subtitle, width=620, height=240)
