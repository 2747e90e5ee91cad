"""Sentences that explain a figure, in Danish, written from what the analyses return."""

from __future__ import annotations

import pandas as pd

from ..analysis.billing import wave_starts
from ..analysis.outlook import population_method
from ..data.names import Municipality
from ..engine import QUANTILES, billing_starts
from ..parameters import ParameterSet
from ..scenarios import Scenario, load_scenario
from ..scenarios.calibration import Finding, Where
from . import fmt
from .labels import COMPONENT, PROJECTION, STATUS, WAVE


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


LOOKS_LIKE = {  # what an invoice that looks like a multiple of what it is checked against probably is
    "moms": "1,25 gange det, {against} giver: er beløbet med moms?",
    "month": "en enkelt måned af det, {against} giver: mangler antal måneder (months)?",
    "half": "et halvt år af det, {against} giver: mangler antal måneder (months)?",
}
AGAINST = {"invoices": "de øvrige fakturaer", "budget": "budgettets priser for de samme måneder"}


def rows_text(where: Where) -> str:
    """The rows (or items) an observation comes from, in Danish: '4', '4 og 2 andre rækker', 'punkt 2'."""
    first = f"{where.number}" if where.row else f"punkt {where.number}"
    if not where.others:
        return first
    one, many = ("anden række", "andre rækker") if where.row else ("andet punkt", "andre punkter")
    return f"{first} og {where.others} {one if where.others == 1 else many}"


def place(where: Where) -> str:
    """Where an observation comes from, in Danish: 'fakturaer.csv, række 4', 'calibration, punkt 2'."""
    return f"{where.source}, {'række ' if where.row else ''}{rows_text(where)}"


def finding(item: Finding, params: ParameterSet) -> str:
    """One thing a calibration noticed, as a Danish sentence with Danish numbers."""
    v = item.values
    label = params[v["parameter"]].label if "parameter" in v else ""
    year = f" {v['year']}" if v.get("year") else ""
    if item.kind == "replaces":
        was = (
            f"erstatter {fmt.kr_per_inhabitant(v['before'])}, fremskrevet fra {v['from_year']}"
            if v["before"] is not None and v["from_year"] and v["from_year"] != v["year"]
            else "erstatter den udledte pladsholderpris"
            if v["before"] is None
            else f"erstatter {fmt.kr_per_inhabitant(v['before'])}"
        )
        return f"{label}{year}: {fmt.kr_per_inhabitant(v['value'])} ({was})."
    if item.kind == "rates_differ":
        rates = ", ".join(f"{y}: {fmt.pct(r)}" for y, r in v["rates"].items())
        return (
            f"Årenes fakturaer giver forskellige knæksatser ({rates}); hvert år med fakturaer på begge sider af "
            "knækket beholder sin egen."
        )
    if item.kind == "single":
        return f"{label}{year} bygger på én faktura alene ({place(v['where'])}) og kan ikke kontrolleres mod andre."
    if item.kind == "jump":
        change = v["value"] / v["neighbour"] - 1
        return (
            f"{label}{year} er {fmt.kr_per_inhabitant(v['value'])}, {fmt.pct(abs(change))} "
            f"{'over' if change > 0 else 'under'} {v['neighbour_year']} ({fmt.kr_per_inhabitant(v['neighbour'])}); "
            f"mere end de {fmt.pct(v['limit'], 0)}, der er plausible."
        )
    if item.kind == "knee_band":
        rates = fmt.join(f"{fmt.pct(r)} i {y}" for y, r in v["rates"].items())
        return (
            f"Knæksatsen løst fra fakturaerne er {rates}, uden for det plausible {fmt.pct(v['low'], 0)} til "
            f"{fmt.pct(v['high'], 0)}: typisk et beløb med moms ved siden af et uden moms."
        )
    if item.kind == "looks_like":
        what = (
            LOOKS_LIKE[v["kind"]].format(against=AGAINST[v["against"]])
            if v["against"] in AGAINST
            else "en måned af modellens egen pris for året: er det én måneds faktura uden antal måneder (months)?"
        )
        return f"{place(v['where'])}: {fmt.genitive(v['kommune'])} faktura for {v['year']} svarer til {what}"
    raise ValueError(f"unknown finding {item.kind!r}")


def ends(first: pd.Series, last: pd.Series) -> str:
    """What the two ends of a list sorted from the lowest change to the highest are, in Danish: 'de 5 største
    fald og de 5 største stigninger', or 'de 5 mindste stigninger og …' when none fell."""

    def side(changes: pd.Series, low: bool) -> str:
        count = f"de {len(changes)}"
        if (changes < 0).all():
            return f"{count} {'største' if low else 'mindste'} fald"
        if (changes > 0).all():
            return f"{count} {'mindste' if low else 'største'} stigninger"
        return f"{count} {'laveste' if low else 'højeste'} ændringer"

    return f"{side(first, True)} og {side(last, False)}"


def projection(params: ParameterSet) -> str:
    """How the population after the last observed year is projected, in Danish, naming the method 'best' chose."""
    method = str(params.value("projection.method"))
    used = population_method(params)
    text = PROJECTION[used] + (
        f" over de seneste {int(params.value('projection.trend_years'))} observerede år" if used == "trend" else ""
    )
    if method == "best":
        text += ", valgt fordi den ramte bedst, da metoderne blev prøvet på Danmarks Statistiks egne tal"
    if params.value("projection.forecast_file"):
        text = f"kommunens egen prognose, og hvor den ikke rækker: {text}"
    return text


def outlook_sentence(name: str, total: pd.DataFrame, year: int) -> str:
    """The budget year's band in one sentence: where the whole bill lands in the middle 90 % of the runs."""
    first, last = total.loc[year], total.loc[total.index.max()]
    share = fmt.pct(max(QUANTILES.values()) - min(QUANTILES.values()), 0)
    return (
        f"**I {share} af forløbene betaler {name} i {year} mellem {fmt.kr(first['p05'])} og "
        f"{fmt.kr(first['p95'])} i alt** (budgetteret: {fmt.kr(first['central'])}). I {total.index.max()} er "
        f"spændet {fmt.kr(last['p05'])} til {fmt.kr(last['p95'])}: jo længere frem, jo mere usikkert."
    )


def outlook_sources(outlook: pd.DataFrame, params: ParameterSet) -> list[str]:
    """Each source of the budget years' uncertainty (an outlook() table's attrs) in Danish: what it is, how large,
    and what it rests on."""
    texts = []
    for source in outlook.attrs["sources"]:
        status = STATUS[source["status"]]
        if source["source"] == "population":
            errors, (first, last) = source["mean_abs_error"], source["measured_from"]
            texts.append(
                f"**Indbyggertallet 1. januar** er fremskrevet: {projection(params)}. Prøvet på Danmarks Statistiks "
                f"tal {first}-{last} ramte metoden i gennemsnit {fmt.pct(errors[1])} ved siden af ét år frem og "
                f"{fmt.pct(errors[max(errors)])} {max(errors)} år frem; de målte fejl er trukket for hver kommune "
                "(målt, ikke antaget)."
            )
        elif source["source"] == "price":
            unknown = [
                f"{COMPONENT[c].lower() if c != 'sapa' else 'SAPA'}, fremskrevet fra {min(k.values())}"
                for c, k in outlook.attrs["carried"].items()
                if "." not in c
            ]
            if outlook.attrs["derived"]:
                unknown.insert(0, f"SAPA-prisen, udledt af den gamle model i {fmt.years(outlook.attrs['derived'])}")
            texts.append(
                f"**Priser, der ikke er kendt endnu** ({fmt.join(unknown)}) kan blive andre: antaget "
                f"{fmt.pct(params.value('outlook.price_sd'), 0)} usikkerhed det første år, voksende med årene "
                f"({status}). En pris, KOMBIT har meddelt, eller som en faktura har fastlagt, er kendt."
                if unknown
                else "**Priserne** i budgetårene er alle kendt (meddelt af KOMBIT eller fastlagt af fakturaer)."
            )
        elif source["applies"]:
            texts.append(
                f"**Pris- og lønskønnet (P/L)** kan afvige {fmt.num(params.value('outlook.pl_sd'), 1)} procentpoint om "
                f"året fra KL's skøn; det flytter beløb, der reguleres med P/L, i løbende priser ({status})."
            )
        else:
            texts.append("Der er ikke angivet et pris- og lønindeks (P/L), så P/L-usikkerhed indgår ikke.")
    return texts
