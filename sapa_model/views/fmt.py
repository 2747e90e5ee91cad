"""Danish number formats, one place for prose, tables and charts: 1.234.567 kr., 12,5 %."""

from __future__ import annotations

import datetime as dt
import math

from ..analysis.budget import round_half_away

MONTHS = [
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
]

# The minus sign of every negative number a reader sees (text, tables, charts): U+2212, as Danish typesetting
# writes it. The exports (CSV, XLSX) hold numbers, not text, so a spreadsheet reads them as they are.
MINUS = "\u2212"
# d3-format and d3-time-format locales for Vega (da-DK), used by every chart.
D3_FORMAT_LOCALE = {
    "decimal": ",",
    "thousands": ".",
    "grouping": [3],
    "currency": ["", " kr."],
    "percent": " %",
    "minus": MINUS,
}
D3_TIME_FORMAT_LOCALE = {
    "dateTime": "%A den %d. %B %Y %X",
    "date": "%d.%m.%Y",
    "time": "%H:%M:%S",
    "periods": ["AM", "PM"],
    "days": ["søndag", "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag"],
    "shortDays": ["søn", "man", "tir", "ons", "tor", "fre", "lør"],
    "months": MONTHS,
    "shortMonths": [m[:3] for m in MONTHS],
}


def num(value: float, decimals: int = 0) -> str:
    """A number with Danish separators and the minus sign: 1234567.8 -> '1.234.568'; decimals=1 -> '1.234.567,8';
    -56 -> '−56'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    value = float(round_half_away(value, decimals))  # halves away from zero, as every table rounds
    text = f"{abs(value):,.{decimals}f}".replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return (MINUS if value < 0 else "") + text


def kr(value: float, decimals: int = 0) -> str:
    """An amount in kroner: '1.234.567 kr.'."""
    return f"{num(value, decimals)} kr."


def mio_kr(value: float, decimals: int = 1) -> str:
    """An amount in millions of kroner: '12,3 mio. kr.'."""
    return f"{num(value / 1e6, decimals)} mio. kr."


def kr_per_inhabitant(value: float) -> str:
    """A price per inhabitant with øre: '13,28 kr.'."""
    return kr(value, 2)


def pct(share: float, decimals: int = 1) -> str:
    """A share as a percentage: 0.125 -> '12,5 %'."""
    return f"{num(100 * share, decimals)} %"


def signed_kr(value: float, decimals: int = 0) -> str:
    """An amount with its sign always shown: '+1.234 kr.', '−56 kr.'."""
    return ("+" if round(value, decimals) > 0 else "") + kr(value, decimals)


def date(day: dt.date | str) -> str:
    """A date in Danish: '1. oktober 2019'."""
    day = dt.date.fromisoformat(str(day)[:10]) if not isinstance(day, dt.date) else day
    return f"{day.day}. {MONTHS[day.month - 1]} {day.year}"


def month(day: dt.date | str) -> str:
    """A month in Danish: 'oktober 2019'."""
    day = dt.date.fromisoformat(str(day)[:10]) if not isinstance(day, dt.date) else day
    return f"{MONTHS[day.month - 1]} {day.year}"


def d3(kind: str) -> str:
    """The d3 format string for a kind of number in charts (with the da-DK locale): 'kr', 'num', 'pct', 'kr2'."""
    return {"kr": "$,.0f", "kr2": "$,.2f", "num": ",.0f", "pct": ".1%", "mio": ",.1f"}[kind]


def genitive(name: str) -> str:
    """A Danish genitive: 'Aarhus' -> "Aarhus'", 'Læsø' -> 'Læsøs', 'Vesthimmerlands' -> "Vesthimmerlands'"."""
    return f"{name}'" if name[-1:].lower() in ("s", "x", "z") else f"{name}s"


def join(items, word: str = "og") -> str:
    """A Danish list: 'A, B og C' (or 'A, B eller C' with word='eller')."""
    items = [str(i) for i in items]
    return f" {word} ".join([", ".join(items[:-1]), items[-1]]) if len(items) > 1 else "".join(items)


def years(values) -> str:
    """Years as a Danish list of spans: [2019, 2020, 2021, 2023] -> '2019-2021 og 2023'."""
    runs: list[list[int]] = []
    for year in sorted(set(int(v) for v in values)):
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return join([f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs])


def share_of(count: int, total: int) -> str:
    """How many of a whole, in words: 'ingen af de 98', '12 af de 98', 'alle 98'."""
    return (
        "ingen af de" + f" {total}" if count == 0 else f"alle {total}" if count == total else f"{count} af de {total}"
    )


def sort_key(name: str) -> str:
    """Danish alphabetical order: æ, ø, å after z, and 'aa' counted as å (Aarhus after Vordingborg)."""
    text = name.lower().replace("aa", "å")
    return text.translate(str.maketrans("æøå", "{|}"))
