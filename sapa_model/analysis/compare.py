"""The old model against the new one, and the municipalities against each other: sums, differences and
payments per inhabitant, computed from compute()'s table."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from ..components import FOLLOW_POPULATION
from ..data import datasets

SAME_WITHIN_DKK = 0.5  # amounts closer than half a krone show as the same krone: neither more nor less


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


def per_inhabitant(table: pd.DataFrame) -> pd.DataFrame:
    """Per municipality, year and model: total over components (kr.) and kr. per inhabitant."""
    grouped = table.groupby(["kommunekode", "kommune", "region", "year", "model"], observed=True, as_index=False).agg(
        amount_dkk=("amount_dkk", "sum"), population=("population", "first"), projected=("population_projected", "any")
    )
    return grouped.assign(per_inhabitant=grouped["amount_dkk"] / grouped["population"])


def per_inhabitant_spread(table: pd.DataFrame, year: int, model: str = "new") -> dict[str, float]:
    """Lowest and highest total payment per inhabitant (kr.) among the municipalities in a year."""
    rows = per_inhabitant(table)
    values = rows[(rows["year"] == year) & (rows["model"] == model)]["per_inhabitant"]
    return {"min": float(values.min()), "max": float(values.max())}


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
