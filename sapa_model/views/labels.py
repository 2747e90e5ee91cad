"""Danish names for the model's codes, used the same way in every table, chart and sentence."""

from ..components import LABEL, SHARED
from ..data.datasets import WAVE_LABELS, municipalities
from ..engine import QUANTILES, event_names
from ..parameters import baseline
from . import fmt

# How many municipalities the data holds, as every text counts them (98 since 2007).
MUNICIPALITIES = len(municipalities())
# The seed deck, named wherever a figure rests on it.
SEED_DECK = "KOMBITs programledermøde juni 2019"
# The day the new settlement model was approved, as every text states it.
APPROVED = fmt.date(baseline().value("new_model.approved_on"))

MODEL = {
    "old": "Gammel model (trappemodel)",
    "new": f"Ny model ({fmt.month(baseline().value('new_model.approved_on'))})",
}
MODEL_SHORT = {"old": "Gammel model", "new": "Ny model"}
COMPONENT = LABEL  # the component registry's Danish names
# The budget lines (analysis.lines.LINES) as every budget table, export and notebook heads them.
LINE = {
    "sapa_new": "SAPA, ny model",
    "sapa_old": "SAPA, gammel model",
    **{c: COMPONENT[c] for c in SHARED},
    "total_new": "I alt, ny model",
    "total_old": "I alt, gammel model",
    "difference": "Forskel (ny − gammel)",
}
UNIT = {1: "kr.", 1000: "1.000 kr."}  # analysis.budget.UNITS in words
TOTAL_ROW = "I alt"  # the last row of a table whose total is the sum of the rows above
WAVE = WAVE_LABELS
STATUS = {
    "sourced": "kilde",
    "seed": f"oplæg ({SEED_DECK})",
    "calibrated": "kalibreret fra fakturaer",
    "scenario": "indtastet i scenariet",
    "assumption": "antagelse",
    "illustrative": "illustrativ pladsholder",
}
STATUS_SHORT = {  # the same, in a narrow column (the terminal's budget table)
    "sourced": "kilde",
    "seed": "oplæg",
    "calibrated": "kalibreret",
    "scenario": "scenarie",
    "assumption": "antagelse",
    "illustrative": "illustrativ",
}
POPULATION_STATUS = {False: "Observeret", True: "Fremskrevet"}  # a population on 1 January, by `projected`
PROJECTION = {
    "best": "den metode, der ramte bedst i tilbagetesten",
    "carry_forward": "sidste observerede tal videreført",
    "trend": "lineær trend",
    "backtested": "for hver kommune den af de to metoder (uændret eller trend), der ramte bedst i tilbagetesten",
}
# Danish words for the parameters' text values (methods and bases), wherever a value is shown.
VALUE = {
    **PROJECTION,
    "derived": "udledt, så den samlede pris ikke stiger",
    "given": "indtastet pr. år",
    "per_year": "hvert års egen pris",
    "carried": "sidst kendte pris fremskrevet",
    "with_index": "fremskrevet med pris- og lønskønnet (P/L), når et er givet, ellers uændret i kroner",
    "unchanged": "fremskrevet uændret i kroner",
    "excluded": "ekskl. moms",
    "included": "inkl. moms",
}
# The monopoly-break events, in the order of their planned dates, named as their parameters name them.
EVENT = {
    e: baseline()[f"old_model.events.{e}.planned_date"].label.removesuffix(" (planlagt)")
    for e in event_names(baseline())
}

# Danish column names for the exports and tables.
COLUMNS = {
    "kommunekode": "Kommunekode",
    "kommune": "Kommune",
    "region": "Region",
    "year": "År",
    "month": "Måned",
    "model": "Model",
    "component": "Komponent",
    "amount_dkk": "Beløb (kr.)",
    "population": "Indbyggere 1. januar",
    "population_projected": "Indbyggertal fremskrevet",
    "wave_inferred": "Bølge udledt (usikker faktureringsstart)",
    "status": "Grundlag (mindst sikre)",
    "calibrated": "Kalibreret fra fakturaer",
    "scenario": "Indtastet i scenariet",
    "assumption": "Antagelser",
    "illustrative": "Illustrative pladsholdere",
    "extrapolated": "Videreført efter sidste kendte værdi",
    "price_level": "Prisniveau",
    "vat": "Moms",
}

_OFFICIAL = {"København": "Københavns Kommune", "Bornholm": "Bornholms Regionskommune"}


def official_name(kommune: str) -> str:
    """The municipality's own name for itself: 'Aarhus Kommune', 'Københavns Kommune'."""
    return _OFFICIAL.get(kommune, f"{kommune} Kommune")


# The quantiles of a spread over simulated runs, as tables and charts head them: '5 %', '95 %'; the band between
# the outer two as the text names it: '5-95 %'.
QUANTILE = {name: fmt.pct(q, 0) for name, q in QUANTILES.items()}
BAND = f"{fmt.num(100 * min(QUANTILES.values()))}-{fmt.pct(max(QUANTILES.values()), 0)}"

# The budget follow-up (analysis.followup): its lines, its figures and what each line's rest of the year rests on.
FOLLOWUP_LINE = {**COMPONENT, "total": TOTAL_ROW}
FOLLOWUP = {
    "budget": "Budget",
    "budget_to_date": "Budget til dato",
    "paid": "Betalt til dato",
    "rest": "Forventet resten af året",
    "year_end": "Forventet regnskab",
    "deviation": "Afvigelse",
    "deviation_pct": "Afvigelse (%)",
    "price": "heraf pris",
    "population": "heraf indbyggertal",
    "timing": "heraf måneder",
}
FOLLOWUP_BASIS = {
    "invoiced": "faktureret",
    "budget_price": "ingen faktura endnu",
    "not_billed": "faktureres ikke",
    "partly_invoiced": "delvis faktureret",
}
