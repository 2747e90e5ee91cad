"""Danish formats: one module for prose, tables and charts."""

import datetime as dt

import pytest

from sapa_model.views import fmt
from sapa_model.views.labels import official_name


@pytest.mark.parametrize("value,text", [(1234567, "1.234.567 kr."), (0, "0 kr."), (-1234.4, "\u22121.234 kr."),
                                        (999.5, "1.000 kr."), (-0.4, "0 kr.")])
def test_kroner(value, text):
    assert fmt.kr(value) == text


def test_other_formats():
    assert fmt.kr(1234.5, 2) == "1.234,50 kr."
    assert fmt.kr_per_inhabitant(13.2751) == "13,28 kr."
    assert fmt.pct(0.125) == "12,5 %" and fmt.pct(1) == "100,0 %" and fmt.pct(0.5, 0) == "50 %"
    assert fmt.mio_kr(12_345_678) == "12,3 mio. kr."
    assert fmt.signed_kr(1234) == "+1.234 kr." and fmt.signed_kr(-56) == "\u221256 kr." and fmt.signed_kr(0) == "0 kr."
    assert fmt.num(float("nan")) == "–"
    assert fmt.date(dt.date(2019, 10, 1)) == "1. oktober 2019" and fmt.date("2019-07-01") == "1. juli 2019"
    assert fmt.month("2019-12-01") == "december 2019"
    assert fmt.join(["København", "Aarhus", "Aalborg", "Odense"]) == "København, Aarhus, Aalborg og Odense"
    assert fmt.join(["Aarhus"]) == "Aarhus" and fmt.join([]) == ""


def test_danish_alphabetical_order():
    names = ["Aarhus", "Ærø", "Vejle", "Assens", "Østerbro", "Aabenraa", "Zealand"]
    assert sorted(names, key=fmt.sort_key) == ["Assens", "Vejle", "Zealand", "Ærø", "Østerbro", "Aabenraa", "Aarhus"]


@pytest.mark.parametrize("kind,value,text", [("kr", 1234567, fmt.kr(1234567)), ("kr2", 13.2751, fmt.kr(13.2751, 2)),
                                             ("num", 632340, fmt.num(632340)), ("pct", 0.125, fmt.pct(0.125)),
                                             ("kr", -542416, fmt.kr(-542416)), ("kr2", -4, fmt.kr(-4, 2))])
def test_charts_write_numbers_as_the_prose_does(kind, value, text):
    """Vega, with the chart locale and format of fmt, draws the very text fmt writes in sentences."""
    import vl_convert

    spec = {"data": {"values": [{"v": value}]}, "mark": "text",
            "encoding": {"text": {"field": "v", "type": "quantitative", "format": fmt.d3(kind)}}}
    svg = vl_convert.vegalite_to_svg(spec, format_locale=fmt.D3_FORMAT_LOCALE)
    assert f">{text}<" in svg.replace("&#160;", " ").replace("\u00a0", " ")


def test_official_names():
    assert official_name("Aarhus") == "Aarhus Kommune"
    assert official_name("København") == "Københavns Kommune"
    assert official_name("Bornholm") == "Bornholms Regionskommune"


@pytest.mark.parametrize(("count", "text"), [(0, "ingen af de 98"), (1, "1 af de 98"), (97, "97 af de 98"),
                                             (98, "alle 98")])
def test_a_share_of_the_municipalities_in_words(count, text):
    assert fmt.share_of(count, 98) == text


def test_years_are_written_as_spans():
    assert fmt.years([2021, 2019, 2020, 2023]) == "2019-2021 og 2023"
    assert fmt.years([2027]) == "2027"
    assert fmt.years([2019, 2021, 2022, 2024, 2025, 2026]) == "2019, 2021-2022 og 2024-2026"


def test_the_ends_of_a_sorted_list_are_named_by_their_signs():
    import pandas as pd

    from sapa_model.views.prose import ends

    assert ends(pd.Series([-5.0, -1]), pd.Series([2.0, 9])) == "de 2 største fald og de 2 største stigninger"
    assert ends(pd.Series([1.0, 2]), pd.Series([8.0, 9])) == "de 2 mindste stigninger og de 2 største stigninger"
    assert ends(pd.Series([-9.0, -8]), pd.Series([-2.0, -1])) == "de 2 største fald og de 2 mindste fald"


def _texts(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _texts(item)


def test_a_label_that_subtracts_writes_the_minus_sign_as_the_figures_do():
    from sapa_model.views import labels

    assert labels.LINE["difference"] == "Forskel (ny \u2212 gammel)"
    assert fmt.num(-56) == "\u221256"  # the same sign as a negative figure
    hyphens = [text for value in vars(labels).values() for text in _texts(value) if " - " in text]
    assert hyphens == []  # a spaced hyphen would be a minus written as a hyphen
