"""Finding a municipality from what people type."""

import datetime as dt

import pytest

import sapa_model
from sapa_model import UnknownMunicipalityError, municipality, resolve_code

ALIASES = {
    "Århus": 751, "Høje-Tåstrup": 169, "Høje Taastrup": 169, "Vesthimmerland": 820, "Nordfyn": 480,
    "Lyngby-Tårbæk": 173, "Copenhagen": 101, "Åbenrå": 580, "Ringkjøbing-Skjern": 657,
    "Koebenhavn": 101, "Kobenhavn": 101, "københavn": 101, "KØBENHAVN": 101, "Aarhus Kommune": 751,
    "Tarnby": 185, "Taarnby": 185, "Koge": 259, "Laesoe": 825, "Aeroe": 492, "Bornholms Regionskommune": 400,
    "Københavns Kommune": 101, "Koebenhavns kommune": 101,
}


@pytest.mark.parametrize("typed,code", ALIASES.items())
def test_aliases_and_spellings(typed, code):
    assert resolve_code(typed) == code


@pytest.mark.parametrize("typed", [101, "101", "0101", " 101 "])
def test_codes_in_any_form(typed):
    assert resolve_code(typed) == 101


def test_every_official_name_in_any_case():
    for code, name in zip(sapa_model.data.datasets.municipalities()["kommunekode"],
                          sapa_model.data.datasets.municipalities()["kommune"]):
        assert resolve_code(name) == code
        assert resolve_code(name.upper()) == code


def test_municipality_record():
    record = municipality("Høje-Tåstrup")
    assert record.code == 169 and record.name == "Høje-Taastrup" and record.region == "Hovedstaden"
    assert record.billing_start == dt.date(2019, 10, 1) and record.wave == "4" and record.wave_inferred


def test_arhus_suggests_aarhus():
    with pytest.raises(UnknownMunicipalityError, match=r"unknown municipality 'Arhus'; did you mean 'Aarhus'\?"):
        municipality("Arhus")


def test_unknown_is_a_lookup_error_with_suggestions():
    with pytest.raises(LookupError) as caught:
        municipality("Frederiksbrg")
    assert caught.value.suggestions[0] == "Frederiksberg"


@pytest.mark.parametrize("typed", [999, "0000", "Xyzzy", "", True])
def test_nonsense_says_what_is_accepted(typed):
    with pytest.raises(UnknownMunicipalityError, match="unknown municipality"):
        resolve_code(typed)


def test_several_unknown_are_named_together():
    with pytest.raises(UnknownMunicipalityError) as caught:
        sapa_model.data.names.resolve_codes(["Aarhus", "Arhus", "Odnse"])
    assert "'Arhus'" in str(caught.value) and "'Odnse'" in str(caught.value) and "Odense" in str(caught.value)
