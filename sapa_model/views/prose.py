"""Sentences that explain a figure, in Danish, written from what the analyses return."""

from __future__ import annotations

import pandas as pd

from ..analysis.billing import wave_starts
from ..data.names import Municipality
from ..engine import billing_starts
from ..scenarios import Scenario, load_scenario
from . import fmt
from .labels import WAVE


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
