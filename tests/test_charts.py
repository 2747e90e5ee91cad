"""What a chart carries into a page: its data as columns, small, and the same rows once drawn (the drawing
itself is checked in the browser tests)."""

import json
import re

import altair as alt
import pandas as pd

from sapa_model.views import charts, render


def _rows(columns: dict) -> list[dict]:
    """The rows back from a chart's columns, as the page's sapaDraw does it."""
    return [
        {k: (v[r] if isinstance(v, list) else v["v"][v["i"][r]]) for k, v in columns["c"].items()}
        for r in range(columns["n"])
    ]


def test_a_chart_carries_its_rows_as_columns_and_gets_them_back():
    frame = pd.DataFrame(
        {
            "Komponent": ["Fælleskommunal infrastruktur", "SAPA", "Fælleskommunal infrastruktur"],
            "year": [2019, 2020, 2021],
            "amount_dkk": [12012.5, 6744.169677734375, None],
            "projected": [False, True, False],
        }
    )
    render.enable()
    spec = alt.Chart(frame).mark_bar().encode(x="year:O", y="amount_dkk:Q").to_dict()
    html = render._render(spec)["text/html"]
    payload = json.loads(re.search(r'sapaDraw\("sapa-chart-1",(\{.*\}),0\)', html).group(1))
    (columns,) = payload["datasets"].values()
    assert columns["c"]["Komponent"] == {"v": ["Fælleskommunal infrastruktur", "SAPA"], "i": [0, 1, 0]}
    assert _rows(columns) == [
        {"Komponent": "Fælleskommunal infrastruktur", "year": 2019, "amount_dkk": 12012.5, "projected": False},
        {"Komponent": "SAPA", "year": 2020, "amount_dkk": 6744.169678, "projected": True},  # ten digits
        {"Komponent": "Fælleskommunal infrastruktur", "year": 2021, "amount_dkk": None, "projected": False},
    ]
    assert html.count("Fælleskommunal infrastruktur") == 1  # a long label travels once, not once per row
    assert "vegaEmbed" in html and "window.sapaDraw=" in html  # the first chart brings the library and helper
    second = render._render(spec)["text/html"]
    assert "vegaEmbed" not in second and 'sapaDraw("sapa-chart-2"' in second  # the next ones only their data


def test_a_chart_bound_to_sliders_keeps_its_view_for_checking():
    slider = alt.param(name="knaek", value=150000, bind=alt.binding_range(min=0, max=700000))
    spec = alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x:Q").add_params(slider).to_dict()
    render.enable()
    assert re.search(r'sapaDraw\("sapa-chart-1",\{.*\},1\)', render._render(spec)["text/html"])


def test_the_chart_library_is_kept_between_runs_in_the_users_cache_folder(monkeypatch, tmp_path):
    from importlib.metadata import version

    from sapa_model.views import render

    monkeypatch.delenv("SAPA_CHART_LIBRARY_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert render.library_folder() == tmp_path / "sapa-budget"
    monkeypatch.setenv("SAPA_CHART_LIBRARY_CACHE", "")
    assert render.library_folder() is None  # empty: kept nowhere
    monkeypatch.setenv("SAPA_CHART_LIBRARY_CACHE", str(tmp_path / "mine"))
    kept = tmp_path / "mine" / f"vl-convert-{version('vl-convert-python')}.js"
    made = render._vega_bundle()  # made once and kept under its version
    assert kept.read_text(encoding="utf-8") == made and "vegaEmbed" in made
    kept.write_text("// as kept", encoding="utf-8")
    assert render._vega_bundle() == "// as kept"  # read back, not made again
    monkeypatch.setenv("SAPA_CHART_LIBRARY_CACHE", "/proc/no-such-folder")  # cannot be written: made, no error
    assert render._vega_bundle() == made
