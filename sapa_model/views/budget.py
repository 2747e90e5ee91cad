"""How a Danish municipal budget frames the figures: the budget year and its three overslagsår, a stated
price level, moms, and amounts rounded so that every total shown is the sum of the parts shown."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import SapaError, echo
from ..parameters import STATUSES, ParameterSet
from ..rules.grid import first_billing_year, last_model_year
from ..rules.prices import INDEX, has_index, index_levels
from .labels import VALUE

OVERSLAGSAAR = 3  # a budget is adopted for the budget year together with three overslagsår
UNITS = {1: "kr.", 1000: "1.000 kr."}


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
    """The terms amounts are stated in: a unit (kroner or 1.000 kr.), a price level (None: current prices, as
    invoiced), and moms as the parameters say (vat.basis)."""

    unit: int = 1
    prices: int | None = None

    def check(self, params: ParameterSet) -> Basis:
        """Itself, if it can be applied; SapaError says what would be right."""
        if self.unit not in UNITS:
            raise SapaError(f"the unit must be 1 (kroner) or 1000 (1.000 kr.), not {self.unit!r}")
        if self.prices is not None and not has_index(params):
            raise SapaError(
                "a price level (--prices) needs a price index: enter KL's pris- og lønskøn as "
                "prices.index in a scenario (see scenarios/pl_index_template.yaml)"
            )
        return self

    def level(self) -> str:
        """'løbende priser' or '2027-pris- og lønniveau'."""
        return "løbende priser" if self.prices is None else f"{self.prices}-pris- og lønniveau"

    @staticmethod
    def vat(params: ParameterSet) -> str:
        """'ekskl. moms' or 'inkl. moms', as vat.basis says."""
        return VALUE[params.value("vat.basis")]

    def terms(self, params: ParameterSet) -> str:
        """The price level and moms: 'løbende priser, ekskl. moms'."""
        return f"{self.level()}, {self.vat(params)}"

    def caption(self, params: ParameterSet) -> str:
        """The short statement every table and chart carries: '1.000 kr., løbende priser, ekskl. moms'."""
        return f"{UNITS[self.unit]}, {self.terms(params)}"


def vat_included(params: ParameterSet) -> bool:
    """Whether amounts are stated with moms (vat.basis 'included'); by default they are without."""
    return params.value("vat.basis") == "included"


KRONER = Basis()  # kroner, current prices, moms as vat.basis says: the amounts as computed


def express(table: pd.DataFrame, basis: Basis, params: ParameterSet) -> pd.DataFrame:
    """A copy of compute()'s table with amounts in the basis's price level and moms (kroner, unrounded)."""
    factor = np.ones(len(table))
    if basis.prices is None and not vat_included(params):
        return table  # current prices excluding moms: the amounts as computed
    if basis.prices is not None:
        levels = index_levels(params, [*table["year"].unique().tolist(), basis.prices])
        factor *= levels[basis.prices] / table["year"].map(levels).to_numpy(dtype=float)
    if vat_included(params):
        factor *= 1 + params.value("vat.rate")
    out = table.assign(amount_dkk=table["amount_dkk"].to_numpy() * factor)
    out.attrs = {**table.attrs, "basis": basis}
    if basis.prices is not None:
        _rests_on(
            out, params[INDEX], stale=max(*out["year"], basis.prices) > params[INDEX].dates[-1].astype(object).year
        )
    return out


def _rests_on(table: pd.DataFrame, parameter, stale: bool) -> None:
    """Record in a table's flags and attrs that every figure now rests on one more parameter."""
    column = parameter.status  # the flag column named after the status (calibrated, scenario, ...)
    if column in table.columns and parameter.status in STATUSES[2:]:
        names = table[column].astype(str)
        table[column] = (names + ", " + parameter.name).str.lstrip(", ").astype("category")
        rank = STATUSES.index(parameter.status)
        weaker = table["status"].map(lambda s: s if STATUSES.index(s) >= rank else parameter.status)
        table["status"] = pd.Categorical(weaker, categories=STATUSES, ordered=True)
        key = "from_scenario" if column == "scenario" else column
        table.attrs[key] = sorted({*table.attrs.get(key, []), parameter.name})
        table.attrs["unsourced"] = sorted({*table.attrs.get("unsourced", []), parameter.name})
    if stale:
        table.attrs["extrapolated"] = sorted({*table.attrs.get("extrapolated", []), parameter.name})


def round_to(values, unit: int):
    """Amounts (kr.) in the unit, rounded half away from zero: 1.234.567,5 kr. -> 1.235 (1.000 kr.)."""
    scaled = np.asarray(values, dtype=float) / unit
    rounded = np.sign(scaled) * np.floor(np.abs(scaled) + 0.5)
    return (
        pd.DataFrame(rounded, index=values.index, columns=values.columns)
        if isinstance(values, pd.DataFrame)
        else rounded
    )


def rounding_note(unit: int) -> str:
    """The rounding rule, as a table's footnote says it."""
    return (
        f"Hvert beløb er afrundet for sig til hele {'kroner' if unit == 1 else UNITS[unit]}; "
        "»I alt« og »Forskel« er summen af de viste beløb, så tabellen altid summer."
    )


def price_basis_text(basis: Basis, params: ParameterSet, carried: list[str]) -> str:
    """The price level and moms in full Danish sentences, naming the prices carried forward unchanged."""
    vat = basis.vat(params) + (
        "" if vat_included(params) else " (kommunerne får momsen tilbage via momsudligningsordningen)"
    )
    if basis.prices is not None:
        level = f"Beløbene er omregnet til {basis.level()} med KL's pris- og lønskøn og er {vat}."
    elif has_index(params):
        level = (
            f"Beløbene er i løbende priser, som de faktureres hvert år, og {vat}. KMD Sag er "
            "pristalsreguleret med KL's pris- og lønskøn."
        )
    else:
        level = (
            f"Beløbene er i løbende priser, som de faktureres hvert år, og {vat}. Der er ikke angivet et "
            "pris- og lønindeks, så beløbene er ikke omregnet til et fælles prisniveau, og KMD Sag er ikke "
            "pristalsreguleret."
        )
    return level + (f" Fremskrevne priser: {'; '.join(carried)}." if carried else "")
