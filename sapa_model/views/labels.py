"""Danish names for the model's codes, used the same way in every table, chart and sentence."""

from ..data.datasets import WAVE_LABELS, municipalities
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
COMPONENT = {
    "sapa": "SAPA",
    "infrastructure": "Fælleskommunal infrastruktur",
    "buffet": "Buffetpris (drift af services)",
    "kmd_sag": "KMD Sag",
}
WAVE = WAVE_LABELS
STATUS = {
    "sourced": "kilde",
    "seed": f"oplæg ({SEED_DECK})",
    "calibrated": "kalibreret fra fakturaer",
    "scenario": "indtastet i scenariet",
    "assumption": "antagelse",
    "illustrative": "illustrativ pladsholder",
}
PROJECTION = {"carry_forward": "sidste observerede tal videreført", "trend": "lineær trend"}
# Danish words for the parameters' text values (methods and bases), wherever a value is shown.
VALUE = {
    **PROJECTION,
    "derived": "udledt, så den samlede pris ikke stiger",
    "given": "indtastet pr. år",
    "per_year": "hvert års egen pris",
    "last_invoice": "sidst fakturerede pris, videreført uændret",
    "excluded": "ekskl. moms",
    "included": "inkl. moms",
}
EVENT = {
    "ksd": "KSD erstatter KMD Dagpenge",
    "ky": "KY erstatter KMD Aktiv",
    "udk": "Udbetaling Danmark overtager",
    "kmd_sag_off": "KMD Sag slukkes",
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
