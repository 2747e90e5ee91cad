"""How a Danish municipal budget frames the figures: the budget year and its three overslagsår, a stated price
level, moms, and amounts rounded so that every total shown is the sum of the parts shown."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..engine import PRICE_INDEX, first_billing_year, has_price_index, last_model_year, price_levels, rest_on
from ..errors import SapaError, echo
from ..parameters import ParameterSet

OVERSLAGSAAR = 3  # a budget is adopted for the budget year together with three overslagsår
UNITS = (1, 1000)  # kroner, or 1.000 kr.


def build_date() -> dt.date:
    """The date a report is built: SOURCE_DATE_EPOCH if set (reproducible builds), else today."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date() if epoch else dt.date.today()


def default_budget_year() -> int:
    """The budget year a report is for unless told otherwise: the calendar year after the build date."""
    return build_date().year + 1


def budget_years(budget_year: int) -> list[int]:
    """The budget year and its overslagsår."""
    return list(range(budget_year, budget_year + OVERSLAGSAAR + 1))


def check_budget_year(budget_year: int | None, params: ParameterSet) -> int:
    """The budget year (default: the year after the build date), within the years the model can compute
    with its overslagsår; SapaError names the range otherwise."""
    year = default_budget_year() if budget_year is None else budget_year
    first, last = first_billing_year(params), last_model_year(params) - OVERSLAGSAAR
    if isinstance(year, bool) or not isinstance(year, int) or not first <= year <= last:
        raise SapaError(
            f"budget year {echo(year)} is outside {first}-{last}: "
            f"the model computes up to {last + OVERSLAGSAAR} (projection.last_year), and a budget year "
            f"needs its {OVERSLAGSAAR} overslagsår"
        )
    return year


def horizon(budget_year: int, params: ParameterSet) -> range:
    """The years a report computes: from SAPA's first billing year, through the default horizon and, always,
    the budget year's last overslagsår."""
    last = max(int(params.value("horizon.default_last_year")), budget_year + OVERSLAGSAAR)
    return range(first_billing_year(params), last + 1)


@dataclass(frozen=True)
class Basis:
    """The terms amounts are stated in: a unit (1: kroner, 1000: 1.000 kr.), a price level (None: current prices,
    as invoiced), and moms as the parameters say (vat.basis)."""

    unit: int = 1
    prices: int | None = None

    def check(self, params: ParameterSet) -> Basis:
        """Itself, if it can be applied; SapaError says what would be right."""
        if self.unit not in UNITS:
            raise SapaError(f"the unit must be 1 (kroner) or 1000 (1.000 kr.), not {self.unit!r}")
        if self.prices is not None and not has_price_index(params):
            raise SapaError(
                "a price level (--prices) needs a price index: enter KL's pris- og lønskøn as "
                "prices.index in a scenario (see scenarios/pl_index_template.yaml)"
            )
        if self.prices is not None:
            first, last = params[PRICE_INDEX].dates[0].astype(object).year - 1, last_model_year(params)
            if isinstance(self.prices, bool) or not isinstance(self.prices, int) or not first <= self.prices <= last:
                raise SapaError(
                    f"the price level (--prices) {echo(self.prices)} must be a year from {first} (the year before "
                    f"the price index's first growth) to {last} (projection.last_year)"
                )
        return self


def vat_included(params: ParameterSet) -> bool:
    """Whether amounts are stated with moms (vat.basis 'included'); by default they are without."""
    return params.value("vat.basis") == "included"


KRONER = Basis()  # kroner, current prices, moms as vat.basis says: the amounts as computed


def express(
    table: pd.DataFrame, basis: Basis, params: ParameterSet, columns: tuple[str, ...] = ("amount_dkk",)
) -> pd.DataFrame:
    """A table with amounts by year (compute()'s, or risk()'s and outlook()'s with their `columns`) in the basis's
    price level and moms (kroner, unrounded): the same table when nothing is to be converted, else a copy whose
    flags and attrs also name the price index."""
    factor = np.ones(len(table))
    if basis.prices is None and not vat_included(params):
        return table  # current prices excluding moms: the amounts as computed
    if basis.prices is not None:
        levels = price_levels(params, [*table["year"].unique().tolist(), basis.prices])
        factor *= levels[basis.prices] / table["year"].map(levels).to_numpy(dtype=float)
    if vat_included(params):
        factor *= 1 + params.value("vat.rate")
    out = table.assign(**{c: table[c].to_numpy() * factor for c in columns})
    out.attrs = {**table.attrs, "basis": basis}
    if basis.prices is not None:
        index = params[PRICE_INDEX]
        rest_on(out, index, stale=max(*out["year"], basis.prices) > index.dates[-1].astype(object).year)
    return out


def round_half_away(values, decimals: int = 0):
    """Amounts rounded to `decimals` places, halves away from zero (as a budget and Excel round: 2,5 -> 3, never to
    even); a DataFrame, Series or array stays one."""
    scale = 10.0**decimals
    scaled = np.asarray(values, dtype=float) * scale
    rounded = np.sign(scaled) * np.floor(np.abs(scaled) + 0.5 + 1e-9) / scale
    if isinstance(values, pd.DataFrame):
        return pd.DataFrame(rounded, index=values.index, columns=values.columns)
    if isinstance(values, pd.Series):
        return pd.Series(rounded, index=values.index, name=values.name)
    return rounded


def round_to(values, unit: int):
    """Amounts (kr.) in the unit, rounded half away from zero: 1.234.567,5 kr. -> 1.235 (1.000 kr.)."""
    return round_half_away(
        values / unit if isinstance(values, (pd.DataFrame, pd.Series)) else np.asarray(values, dtype=float) / unit
    )
