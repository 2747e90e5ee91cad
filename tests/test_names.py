"""Finding a municipality from what people type."""

import datetime as dt

import pytest

import sapa_model
from sapa_model import UnknownMunicipalityError, municipality, resolve_code
from sapa_model.data import datasets, names

# What people type and the municipality it must find. Every row of data/aliases.csv is exercised here by a
# spelling that only that row makes known (checked below), so deleting or changing any row fails a test.
ALIASES = {
    "Århus": 751, "Høje-Tåstrup": 169, "Høje Tåstrup": 169, "Høje Taastrup": 169, "Vesthimmerland": 820,
    "Nordfyn": 480, "Lyngby-Tårbæk": 173, "Lyngby": 173, "Copenhagen": 101, "Kopenhagen": 101, "Åbenrå": 580,
    "Ringkjøbing-Skjern": 657, "Ringkjoebing-Skjern": 657, "Koebenhavn": 101, "Kobenhavn": 101, "københavn": 101,
    "KØBENHAVN": 101, "Aarhus Kommune": 751, "Tarnby": 185, "Taarnby": 185, "Koge": 259, "Laesoe": 825,
    "Aeroe": 492, "Bornholms Regionskommune": 400, "Bornholms Kommune": 400, "Fåborg-Midtfyn": 430,
    "Ålborg": 851, "Brønderslev-Dronninglund": 810, "Broenderslev-Dronninglund": 810, "Københavns Kommune": 101,
    "Koebenhavns kommune": 101,
    # the names people type (issue: the index missed them): a town, abbreviations, exonyms
    "Kgs. Lyngby": 173, "Kongens Lyngby": 173, "KBH": 101, "Kbh.": 101, "kbh": 101, "Elsinore": 217,
    "Apenrade": 580, "Hadersleben": 510, "Sonderburg": 540, "Tondern": 550,
}


def test_wave_and_region_words_are_found_without_danish_letters():
    from sapa_model.data.names import variants
    from sapa_model.report.build import search_keys

    assert variants("Bølge 3") == {"bølge3", "boelge3", "bolge3"}
    assert {"bolge4", "boelge4", "regionnordjylland"} <= set(search_keys(825).split())


@pytest.mark.parametrize("typed,code", ALIASES.items())
def test_aliases_and_spellings(typed, code):
    assert resolve_code(typed) == code


@pytest.fixture
def names_without(monkeypatch):
    """names_without(i): the name index as if row i of data/aliases.csv were deleted; restored afterwards."""
    table = datasets.aliases()

    def without(row):
        monkeypatch.setattr(datasets, "aliases", lambda: table.drop(index=row).reset_index(drop=True))
        names._index.cache_clear()

    yield without
    monkeypatch.undo()
    names._index.cache_clear()


def test_every_alias_row_is_needed_and_exercised(names_without):
    """Each row of data/aliases.csv makes a spelling known that nothing else does: not another row, and not the
    official names with their Danish letters written out (å -> aa or a, ...), which already give 'Århus' or
    'Ålborg'. And ALIASES above types a spelling that only that row makes known."""
    for row, alias in enumerate(datasets.aliases()["alias"]):
        names_without(row)
        assert _unknown(alias), f"data/aliases.csv row {row + 2}: {alias!r} is accepted without it; delete the row"
        assert any(_unknown(typed) for typed in ALIASES), f"no spelling in ALIASES needs {alias!r}; add one"


def _unknown(typed) -> bool:
    try:
        resolve_code(typed)
    except UnknownMunicipalityError:
        return True
    return False


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
