"""The terms figures are stated in, in Danish: the unit, the price level, moms and the rounding rule, as every
table, chart, export and sentence says them."""

from __future__ import annotations

from ..analysis.budget import Basis, vat_included
from ..engine import has_price_index
from ..parameters import ParameterSet
from .labels import UNIT, VALUE


def level(basis: Basis) -> str:
    """'løbende priser' or '2027-pris- og lønniveau'."""
    return "løbende priser" if basis.prices is None else f"{basis.prices}-pris- og lønniveau"


def vat(params: ParameterSet) -> str:
    """'ekskl. moms' or 'inkl. moms', as vat.basis says."""
    return VALUE[params.value("vat.basis")]


def terms(basis: Basis, params: ParameterSet) -> str:
    """The price level and moms: 'løbende priser, ekskl. moms'."""
    return f"{level(basis)}, {vat(params)}"


def caption(basis: Basis, params: ParameterSet) -> str:
    """The short statement every table and chart carries: '1.000 kr., løbende priser, ekskl. moms'."""
    return f"{UNIT[basis.unit]}, {terms(basis, params)}"


def axis(per: str = "år") -> str:
    """A chart axis's title for amounts: 'kr. pr. år' (per='' for 'kr.'). Charts draw kroner whatever unit the
    tables use; the price level and moms go in the chart's subtitle (the axis has no room for them)."""
    return f"kr.{f' pr. {per}' if per else ''}"


def rounding_note(unit: int) -> str:
    """The rounding rule, as a table's footnote says it."""
    return (
        f"Hvert beløb er afrundet for sig til hele {'kroner' if unit == 1 else UNIT[unit]}; "
        "»I alt« og »Forskel« er summen af de viste beløb, så tabellen altid summer."
    )


def price_basis_text(basis: Basis, params: ParameterSet, carried: list[str]) -> str:
    """The price level and moms in full Danish sentences, naming the prices carried forward unchanged."""
    moms = vat(params) + (
        "" if vat_included(params) else " (kommunerne får momsen tilbage via momsudligningsordningen)"
    )
    if basis.prices is not None:
        text = f"Beløbene er omregnet til {level(basis)} med KL's pris- og lønskøn og er {moms}."
    elif has_price_index(params):
        text = (
            f"Beløbene er i løbende priser, som de faktureres hvert år, og {moms}. KMD Sag er "
            "pristalsreguleret med KL's pris- og lønskøn."
        )
    else:
        text = (
            f"Beløbene er i løbende priser, som de faktureres hvert år, og {moms}. Der er ikke angivet et "
            "pris- og lønindeks, så beløbene er ikke omregnet til et fælles prisniveau, og KMD Sag er ikke "
            "pristalsreguleret."
        )
    return text + (f" Fremskrevne priser: {'; '.join(carried)}." if carried else "")
