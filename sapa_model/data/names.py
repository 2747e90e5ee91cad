"""Finding a municipality from whatever a user types: code, official name, alias, no Danish letters."""

from __future__ import annotations

import difflib
import itertools
import numbers
import re
from dataclasses import dataclass
from datetime import date
from functools import cache

from ..errors import DataError, UnknownMunicipalityError
from . import datasets

# Each Danish letter and how people write it without one. The first spelling is the standard one.
LETTERS = {"æ": ("ae", "a", "e"), "ø": ("oe", "o"), "å": ("aa", "a"), "é": ("e",), "ü": ("u", "ue")}


@dataclass(frozen=True)
class Municipality:
    """One of the 98 municipalities, with its place in the SAPA wave plan."""

    code: int
    name: str
    region: str
    wave: str
    billing_start: date
    placement: str

    @property
    def wave_inferred(self) -> bool:
        """True when the wave came from the inference (see data/README.md), not read off the slide."""
        return self.placement == "inferred"


def plain_key(text: str) -> str:
    """The package's normal form of a name: lower case, no 'kommune', only letters and digits:
    'Høje-Taastrup Kommune' -> 'højetaastrup'."""
    text = re.sub(r"\bkommune\b", "", str(text).strip().lower())
    return re.sub(r"[^0-9a-zæøåéü]", "", text)


def standard_key(text: str) -> str:
    """The normal form with each Danish letter in its standard ASCII spelling: 'Tårnby' -> 'taarnby',
    'Læsø' -> 'laesoe'."""
    return "".join(LETTERS.get(c, (c,))[0] for c in plain_key(text))


def variants(text: str) -> set[str]:
    """Every common spelling of a name in the normal form, with and without Danish letters: 'Køge' -> køge,
    koege, koge; 'Bølge 3' -> bølge3, boelge3, bolge3."""
    options = [LETTERS.get(c, (c,)) for c in plain_key(text)]
    return {"".join(p) for p in itertools.product(*options)} | {plain_key(text)}


@cache
def _index() -> tuple[dict[str, int], dict[str, str]]:
    """Every accepted key -> code; and every standard key -> the official name it stands for."""
    table = datasets.municipalities()
    names = dict(zip(table["kommunekode"], table["kommune"]))
    keys: dict[str, int] = {}
    shown: dict[str, str] = {}
    # Official names accept every transliteration; aliases only their own spelling, so that a
    # near miss ('Arhus') is not silently taken for an alias ('Århus' -> 'arhus').
    entries = [(key, code) for code, name in names.items() for key in variants(name)]
    entries += [
        (key, int(code))
        for alias, code in zip(datasets.aliases()["alias"], datasets.aliases()["kommunekode"])
        for key in (plain_key(alias), standard_key(alias))
    ]
    for key, code in entries:
        if keys.setdefault(key, code) != code:
            raise DataError(f"the name {key!r} fits both {keys[key]} and {code}; fix data/aliases.csv")
        shown[standard_key(key)] = names[code]
    return keys, shown


SPELLING_LIMIT = 80  # no municipality's name, in any spelling, is longer


def spellings(code: int) -> list[str]:
    """Every normal-form spelling the package accepts for a municipality (official name, aliases, without
    Danish letters)."""
    keys, _ = _index()
    return sorted(key for key, value in keys.items() if value == code)


def resolve_code(name_or_code: str | int) -> int:
    """The 3-digit code of a municipality given by code ('101', '0101', 101) or by any accepted name."""
    if isinstance(name_or_code, bool) or not isinstance(name_or_code, (str, numbers.Integral)):
        raise UnknownMunicipalityError(name_or_code, [])
    text = str(name_or_code).strip()
    if re.fullmatch(r"[0-9]{1,4}", text):  # ASCII digits only: '²' or '⁷⁵¹' are no code
        if int(text) in datasets.municipalities().index:
            return int(text)
        raise UnknownMunicipalityError(name_or_code, [])
    if len(text) > SPELLING_LIMIT:
        raise UnknownMunicipalityError(name_or_code, [])
    keys, _ = _index()
    for key in (plain_key(text), standard_key(text)):
        if key in keys:
            return keys[key]
    raise UnknownMunicipalityError(name_or_code, suggestions(text))


def suggestions(text: str, n: int = 3) -> list[str]:
    """Up to n official names that look most like the text."""
    _, shown = _index()
    close = difflib.get_close_matches(standard_key(text), list(shown), n=n * 3, cutoff=0.6)
    return list(dict.fromkeys(shown[key] for key in close))[:n]


def municipality(name_or_code: str | int) -> Municipality:
    """The municipality with its code, name, region, wave, billing start and wave placement."""
    row = datasets.municipalities().loc[resolve_code(name_or_code)]
    return Municipality(
        code=int(row["kommunekode"]),
        name=row["kommune"],
        region=row["region"],
        wave=row["wave"],
        billing_start=row["billing_start"].date(),
        placement=row["placement"],
    )


def resolve_codes(names_or_codes) -> list[int]:
    """Codes for several municipalities, each once in the order first given; every unknown one is named in
    a single error."""
    codes: list[int] = []
    problems = []
    for item in names_or_codes:
        try:
            code = resolve_code(item)
        except UnknownMunicipalityError as exc:
            problems.append(exc)
            continue
        if code not in codes:
            codes.append(code)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise UnknownMunicipalityError.many(problems)
    return codes
