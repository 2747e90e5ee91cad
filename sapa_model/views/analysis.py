"""The figures the analyses show, computed from compute()'s table; notebooks only present them."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..data import datasets
from ..data.names import Municipality
from ..engine import billing_starts, compute, monthly, risk
from ..rules.calendar import billed, month_grid
from ..rules.infrastructure import first_billed_year
from ..rules.knee import price_per_inhabitant
from ..scenarios import Scenario, combine, load_scenario, scenario_from_data
from . import fmt
from .budget import KRONER, Basis, express, round_to
from .labels import COMPONENT, WAVE

SAME_WITHIN_DKK = 0.5  # amounts closer than half a krone show as the same krone: neither more nor less


def billing_start(place: Municipality, scenario: Scenario | None = None):
    """The month a municipality's SAPA billing starts in this scenario (its first day)."""
    return billing_starts(scenario)[place.code]


def wave_starts(scenario: Scenario | None = None) -> pd.Series:
    """The billing start of each wave (the engine's rule applied to the wave plan), in wave order."""
    starts = billing_starts(scenario)
    waves = datasets.municipalities()["wave"].reindex(starts.index)
    return starts.groupby(waves).first().reindex(datasets.WAVES)


def inferred_wave_note(place: Municipality, scenario: Scenario | None = None) -> str:
    """What an inferred wave placement means for a municipality's figures, in Danish (from the wave plan)."""
    starts = wave_starts(scenario)
    own = billing_starts(scenario)[place.code]
    if own == starts.min():
        same = fmt.join([WAVE[w].lower() for w in starts.index[starts == own]])
        return (
            f"Faktureringsstarten er {fmt.date(own)} for alle bølger, der starter da ({same}), så tallene "
            "påvirkes ikke."
        )
    later = fmt.join([fmt.date(d) for d in sorted(set(starts[starts > starts.min()]))], "eller")
    return (
        f"Den afgør, om faktureringen starter {later}, så tallene for {own.year} er usikre; de følgende år er "
        "ikke påvirket."
    )


def more(amounts: pd.Series) -> pd.Series:
    """True where an amount (a difference, a saving) is a real increase: above SAME_WITHIN_DKK."""
    return amounts > SAME_WITHIN_DKK


def less(amounts: pd.Series) -> pd.Series:
    """True where an amount is a real decrease: below -SAME_WITHIN_DKK."""
    return amounts < -SAME_WITHIN_DKK


def person_years(table: pd.DataFrame, by: str = "kommunekode") -> pd.Series:
    """Inhabitants summed over the table's years (population on 1 January), per municipality or region:
    the denominator of every 'kr. per inhabitant per year' figure."""
    return table.drop_duplicates(["kommunekode", "year"]).groupby(by, observed=True)["population"].sum()


def national(table: pd.DataFrame) -> pd.DataFrame:
    """National sums (kr.) per year, model and component."""
    return table.groupby(["year", "model", "component"], observed=True, as_index=False)["amount_dkk"].sum()


def totals(table: pd.DataFrame, components: Iterable[str] | None = None) -> pd.DataFrame:
    """Sum (kr.) per year and model over the given components (default all): columns year, model, amount_dkk."""
    rows = table if components is None else table[table["component"].isin(list(components))]
    return rows.groupby(["year", "model"], observed=True, as_index=False)["amount_dkk"].sum()


def total_check(table: pd.DataFrame) -> pd.DataFrame:
    """Per year, SAPA under the old and the new model and the difference (kr.): 'does the total rise?'."""
    wide = totals(table, ["sapa"]).pivot(index="year", columns="model", values="amount_dkk")
    return pd.DataFrame({"new": wide["new"], "old": wide["old"], "difference": wide["new"] - wide["old"]})


def municipal_difference(table: pd.DataFrame, components: Iterable[str] = ("sapa",)) -> pd.DataFrame:
    """Per municipality over the table's years: old, new, difference (kr.) and kr. per inhabitant per year."""
    rows = table[table["component"].isin(list(components))]
    sums = rows.pivot_table(index="kommunekode", columns="model", values="amount_dkk", aggfunc="sum", observed=True)
    names = datasets.municipalities()[["kommune", "region", "wave"]]
    result = names.loc[sums.index].assign(
        new=sums["new"],
        old=sums["old"],
        difference=sums["new"] - sums["old"],
        difference_per_inhabitant=(sums["new"] - sums["old"]) / person_years(rows),
        population=rows.sort_values("year").groupby("kommunekode")["population"].last(),
    )
    return result.reset_index().sort_values("difference_per_inhabitant", ascending=False, ignore_index=True)


def regional_difference(difference: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Per region: sum of old, new and difference (kr.), kr. per inhabitant per year, and who pays more."""
    grouped = difference.groupby("region").agg(
        new=("new", "sum"),
        old=("old", "sum"),
        difference=("difference", "sum"),
        pays_more=("difference", lambda d: int(more(d).sum())),
        pays_less=("difference", lambda d: int(less(d).sum())),
    )
    grouped["difference_per_inhabitant"] = grouped["difference"] / person_years(table, "region").reindex(grouped.index)
    return grouped.reset_index().sort_values("difference_per_inhabitant", ascending=False, ignore_index=True)


_risks: dict[tuple, pd.DataFrame] = {}


def risk_table(scenario: Scenario | None, years: Iterable[int], draws: int | None = None) -> pd.DataFrame:
    """engine.risk() for a scenario and years, computed once per process (every municipal report of a build
    reads the same draws)."""
    scenario = load_scenario(scenario)
    key = (scenario.to_yaml(), scenario.source, tuple(years), draws)
    if key not in _risks:
        _risks.clear()  # one scenario at a time: bounded memory
        _risks[key] = risk(scenario, draws=draws, years=list(years))
    return _risks[key]


def total_rise(risk_frame: pd.DataFrame) -> dict[str, float]:
    """'Does the total rise?' twice, over all the years of a risk table (kr., all 98 municipalities): against
    the plan (the scenario's own timeline: no drawn delays) and against the drawn delays (expected, and the
    5-95 % band)."""
    whole = risk_frame.attrs["national_period"].set_index(["model", "component"]).loc[("difference", "total")]
    return {
        "plan": float(whole["timeline"]),
        "expected": float(whole["mean"]),
        "p05": float(whole["p05"]),
        "p95": float(whole["p95"]),
    }


def predictability(risk_frame: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Per municipality: the 5-95 % spread of its whole bill (all four payments) under each model in its most
    uncertain year (kr.), the change (new - old: negative = the new model made the budget more predictable),
    and the change per inhabitant per year; sorted from the largest gain in predictability."""
    totals = risk_frame[risk_frame["component"] == "total"].assign(spread=lambda f: f["p95"] - f["p05"])
    worst = totals.pivot_table(index="kommunekode", columns="model", values="spread", aggfunc="max")
    result = (
        datasets.municipalities()[["kommune", "region"]]
        .loc[worst.index]
        .assign(old=worst["old"], new=worst["new"], change=worst["new"] - worst["old"])
    )
    result["change_per_inhabitant"] = result["change"] / table.drop_duplicates("kommunekode").set_index("kommunekode")[
        "population"
    ].reindex(result.index)
    return result.reset_index().sort_values("change", ignore_index=True)


def municipal_band(risk_frame: pd.DataFrame, code: int) -> pd.DataFrame:
    """One municipality's whole bill per year under each model: on the scenario's own timeline, expected over
    the drawn delays, and the 5-95 % band (kr.); and the difference new - old with its band."""
    rows = risk_frame[(risk_frame["kommunekode"] == code) & (risk_frame["component"] == "total")]
    return rows[["year", "model", "timeline", "mean", "p05", "p95"]].reset_index(drop=True)


def without_knee(scenario: Scenario | None) -> Scenario:
    """The same scenario with no knee discount on SAPA (every inhabitant pays the full price)."""
    return combine(
        load_scenario(scenario), scenario_from_data({"name": "uden knæk", "parameters": {"sapa.knee.rate": 1.0}})
    )


def knee_effect(scenario: Scenario | None, years: Iterable[int]) -> pd.DataFrame:
    """Per municipality: new-model SAPA with and without the knee (revenue neutral both ways), and the
    difference; negative = the knee saves the municipality money. kr. and kr. per inhabitant per year."""
    with_knee = compute(scenario, years)
    flat = compute(without_knee(scenario), years)
    pick = lambda t: t[(t["model"] == "new") & (t["component"] == "sapa")].groupby("kommunekode")["amount_dkk"].sum()
    names = datasets.municipalities()[["kommune", "region"]]
    result = names.assign(with_knee=pick(with_knee), without_knee=pick(flat))
    result["effect"] = result["with_knee"] - result["without_knee"]
    result["effect_per_inhabitant"] = result["effect"] / person_years(with_knee)
    result["above_threshold"] = with_knee.groupby("kommunekode")["population"].max() > float(
        load_scenario(scenario).params.value("sapa.knee.threshold", f"{max(years)}-01-01")
    )
    return result.reset_index().sort_values("effect", ignore_index=True)


def infrastructure_knee_effect(table: pd.DataFrame, year: int, scenario: Scenario | None = None) -> pd.DataFrame:
    """Per municipality in one year: infrastructure bill with its knee, at full price for every inhabitant,
    and the saving (kr.); the total price is fixed (25 kr.), so the knee lowers KOMBIT's revenue."""
    params = load_scenario(scenario).params
    rows = table[(table["component"] == "infrastructure") & (table["model"] == "new") & (table["year"] == year)]
    full = rows["population"] * params.value("infrastructure.price_per_inhabitant", f"{year}-01-01")
    return (
        rows[["kommunekode", "kommune", "population"]]
        .assign(
            with_knee=rows["amount_dkk"].to_numpy(),
            without_knee=full.to_numpy(),
            saving=(full - rows["amount_dkk"]).to_numpy(),
        )
        .sort_values("saving", ascending=False, ignore_index=True)
    )


def effective_price_curve(
    table: pd.DataFrame,
    year: int,
    scenario: Scenario | None = None,
    max_population: int = 700_000,
    points_on_curve: int = 300,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Effective price per inhabitant (kr.) against population, for SAPA (new model) and the
    infrastructure in a year: a curve from 1 to max_population, and the 98 municipalities as points."""
    params = load_scenario(scenario).params
    day = f"{year}-01-01"
    sapa_price = table.attrs["sapa_price"][year]
    payments = {
        COMPONENT["sapa"]: (sapa_price, "sapa.knee"),
        COMPONENT["infrastructure"]: (params.value("infrastructure.price_per_inhabitant", day), "infrastructure.knee"),
    }
    population = np.linspace(1_000, max_population, points_on_curve)
    people = table[(table["year"] == year)].drop_duplicates("kommunekode")
    curves, points = [], []
    for label, (price, knee) in payments.items():
        threshold, rate = params.value(f"{knee}.threshold", day), params.value(f"{knee}.rate", day)
        curves.append(
            pd.DataFrame(
                {
                    "population": population,
                    "Betaling": label,
                    "price": price_per_inhabitant(population, threshold, rate, price),
                }
            )
        )
        points.append(
            people[["kommune", "population"]].assign(
                Betaling=label, price=price_per_inhabitant(people["population"], threshold, rate, price)
            )
        )
    return pd.concat(curves, ignore_index=True), pd.concat(points, ignore_index=True)


def knee_explorer_data(table: pd.DataFrame, year: int, scenario: Scenario | None = None) -> tuple[pd.DataFrame, float]:
    """Per municipality for the browser explorer: population, share of the year billed, new-model SAPA
    (kr.); and the year's national SAPA revenue (kr.) that the explorer keeps fixed."""
    rows = table[(table["model"] == "new") & (table["component"] == "sapa") & (table["year"] == year)]
    starts = billing_starts(scenario).reindex(rows["kommunekode"])
    months = billed(starts.to_numpy(), month_grid([year])).sum(axis=1)
    data = rows[["kommune", "population"]].assign(months=months, baseline=rows["amount_dkk"].to_numpy())
    return data.reset_index(drop=True), float(rows["amount_dkk"].sum())


def budget_lines(table: pd.DataFrame, code: int) -> pd.DataFrame:
    """One municipality's yearly lines (kr.): rows year, columns (model, component) plus totals per model."""
    rows = table[table["kommunekode"] == code]
    wide = rows.pivot_table(index="year", columns=["model", "component"], values="amount_dkk", observed=True)
    for model in ("old", "new"):
        wide[(model, "total")] = wide[model].sum(axis=1)
    return wide.sort_index(axis=1)


def per_inhabitant(table: pd.DataFrame) -> pd.DataFrame:
    """Per municipality, year and model: total over components (kr.) and kr. per inhabitant."""
    grouped = table.groupby(["kommunekode", "kommune", "region", "year", "model"], observed=True, as_index=False).agg(
        amount_dkk=("amount_dkk", "sum"), population=("population", "first"), projected=("population_projected", "any")
    )
    return grouped.assign(per_inhabitant=grouped["amount_dkk"] / grouped["population"])


def monthly_basis(
    kommune: int | str, year: int | Iterable[int], scenario: Scenario | None = None, basis: Basis = KRONER
):
    """One municipality's invoices for each month of a year or years (kr.), in the basis's price level and
    moms, with the year of each month."""
    rows = monthly(kommune, year, scenario)
    return express(rows.assign(year=rows["month"].dt.year), basis, load_scenario(scenario).params)


def monthly_rows(kommune: int | str, year: int, scenario: Scenario | None = None, basis: Basis = KRONER):
    """One municipality's monthly invoices (kr.), tidy, with Danish month and component names."""
    rows = monthly_basis(kommune, year, scenario, basis)
    return rows.assign(
        Måned=rows["month"].map(lambda m: fmt.month(m.date())), Komponent=rows["component"].map(COMPONENT)
    )


SHARED = ("infrastructure", "buffet", "kmd_sag")  # paid alike whichever SAPA model applies
SHARED_COLUMNS = [COMPONENT[c] for c in SHARED]


def lines_table(wide: pd.DataFrame, unit: int | None = 1) -> pd.DataFrame:
    """Budget lines with Danish headings from a (model, component) table: SAPA under each model, the lines
    paid alike under both, the totals and the difference. Each line is rounded on its own to the unit
    (1: kroner, 1000: 1.000 kr.; None: unrounded kroner), and the totals and the difference are sums of the
    rounded lines, so the table adds up as shown."""
    parts = pd.DataFrame(
        {
            "SAPA, ny model": wide[("new", "sapa")],
            "SAPA, gammel model": wide[("old", "sapa")],
            **{COMPONENT[c]: wide[("new", c)] for c in SHARED},
        }
    )
    if unit is not None:
        parts = round_to(parts, unit)
    shared = parts[SHARED_COLUMNS].sum(axis=1)
    new, old = parts["SAPA, ny model"] + shared, parts["SAPA, gammel model"] + shared
    return parts.assign(**{"I alt, ny model": new, "I alt, gammel model": old, "Forskel (ny - gammel)": new - old})


def invoices(
    kommune: int | str, year: int, scenario: Scenario | None = None, basis: Basis = KRONER, unit: int | None = 1
) -> pd.DataFrame:
    """One municipality's invoices per month, as lines_table (whole kroner by default), indexed by Danish month."""
    rows = monthly_basis(kommune, year, scenario, basis)
    wide = rows.pivot_table(index="month", columns=["model", "component"], values="amount_dkk")
    table = lines_table(wide, unit)
    table.index = pd.Index([fmt.month(m.date()) for m in table.index], name="Måned")
    return table


FOLLOW_POPULATION = ("sapa", "infrastructure", "buffet")  # billed by inhabitants on 1 January (not KMD Sag)


def first_full_year(scenario: Scenario | None = None) -> int:
    """The first year every municipality is billed all twelve months of SAPA and of the infrastructure."""
    starts = pd.to_datetime(billing_starts(scenario))
    full_sapa = int(starts.dt.year.max() + (starts.dt.month.max() > 1))
    return max(full_sapa, first_billed_year(load_scenario(scenario).params))


def population_effect(table: pd.DataFrame, first: int, last: int) -> pd.DataFrame:
    """Per municipality: population and the new-model payments that follow it (SAPA, infrastructure, buffet;
    kr.) in two years, and the population growth, sorted with the fastest growing first."""
    rows = per_inhabitant(table[table["component"].isin(FOLLOW_POPULATION)])
    rows = rows[rows["model"] == "new"].set_index(["kommunekode", "year"])
    start, end = rows.xs(first, level="year"), rows.xs(last, level="year")
    result = (
        pd.DataFrame(
            {
                "kommune": end["kommune"],
                "population_from": start["population"],
                "population_to": end["population"],
                "growth": end["population"] / start["population"] - 1,
                "bill_from": start["amount_dkk"],
                "bill_to": end["amount_dkk"],
            }
        )
        .sort_values("growth", ascending=False)
        .reset_index()
    )
    result.attrs.update({"from": first, "to": last})
    return result


def by_year(
    table: pd.DataFrame, model: str, components: Iterable[str] | None = None, years: Iterable[int] | None = None
) -> pd.DataFrame:
    """Municipalities (kommunekode, kommune) x years (kr.) for one model, summed over the components (all by
    default) and over the years given (all by default)."""
    rows = table[table["model"] == model]
    if components is not None:
        rows = rows[rows["component"].isin(list(components))]
    if years is not None:
        rows = rows[rows["year"].isin(list(years))]
    return rows.pivot_table(
        index=["kommunekode", "kommune"], columns="year", values="amount_dkk", aggfunc="sum", observed=True
    )


def budget_guide(table: pd.DataFrame, years: list[int], unit: int, model: str = "new") -> pd.DataFrame:
    """The table a budget guide prints: municipalities x years, all components of one model, each amount
    rounded on its own to the unit, with a last row 'I alt' that is the sum of the rows shown."""
    rounded = round_to(by_year(table, model, years=years), unit)
    rounded.columns = [str(c) for c in rounded.columns]
    frame = rounded.reset_index().rename(columns={"kommunekode": "Kommunekode", "kommune": "Kommune"})
    total = pd.DataFrame([{"Kommunekode": None, "Kommune": "I alt", **rounded.sum().to_dict()}])
    return pd.concat([frame, total], ignore_index=True)


def spread_explanation(table: pd.DataFrame, year: int, scenario: Scenario | None = None) -> str:
    """Why the payment per inhabitant differs between municipalities in a year, in Danish, from what applies
    that year: the knee (naming who is above it), KMD Sag, a first billing year."""
    params = load_scenario(scenario).params
    rows = table[table["year"] == year]
    people = rows.drop_duplicates("kommunekode")
    above = people.loc[people["population"] > params.value("sapa.knee.threshold", f"{year}-01-01"), "kommune"].tolist()
    reasons = []
    if above:
        reasons.append(f"knækket, som giver {fmt.join(above)} en lavere pris pr. indbygger")
    if rows.loc[rows["component"] == "kmd_sag", "amount_dkk"].gt(0).any():
        reasons.append(f"KMD Sag, hvis udgangspunkt er indbyggertallet i {int(params.value('kmd_sag.baseline_year'))}")
    starts = pd.to_datetime(billing_starts(scenario))
    if ((starts.dt.year == year) & (starts.dt.month > 1)).any():
        reasons.append(f"at SAPA i {year} kun faktureres fra hver kommunes faktureringsstart")
    if not reasons:
        return "Alle kommuner betaler samme pris pr. indbygger."
    return (
        "Kommuner under knækket betaler samme pris pr. indbygger for SAPA, infrastruktur og buffet; forskellene "
        f"kommer fra {fmt.join(reasons)}."
    )


def per_inhabitant_spread(table: pd.DataFrame, year: int, model: str = "new") -> dict[str, float]:
    """Lowest and highest total payment per inhabitant (kr.) among the municipalities in a year."""
    rows = per_inhabitant(table)
    values = rows[(rows["year"] == year) & (rows["model"] == model)]["per_inhabitant"]
    return {"min": float(values.min()), "max": float(values.max())}
