"""An Altair renderer that works with no network.

`enable()` switches Altair to the 'sapa' renderer: each chart becomes a <figure> plus a call that draws it,
and the first chart of a session also carries the Vega JavaScript bundle (from vl-convert), guarded so
it is defined once. A notebook exported to HTML is therefore one file that draws its charts offline,
and the same output draws live in JupyterLab.
"""

from __future__ import annotations

import html
import json
import os
import time
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import altair as alt

from ..files import write_text
from . import fmt

EMBED_OPTIONS = {
    "actions": False,
    "ast": True,  # Vega's expression interpreter instead of generated code: no eval, so a strict CSP holds
    "renderer": "svg",
    "formatLocale": fmt.D3_FORMAT_LOCALE,
    "timeFormatLocale": fmt.D3_TIME_FORMAT_LOCALE,
}
_session = {"count": 0, "bundle_sent": False}


@cache
def bundle_code() -> str:
    """Vega, Vega-Lite and vega-embed as one script (from vl-convert: no network), guarded so that a second
    copy on a page does nothing; a block keeps its top-level names local."""
    return BUNDLE_START + _vega_bundle().replace("</script", "<\\/script") + "\n}\n" + _draw_code()


BUNDLE_START = "if (!window.vegaEmbed) {\n"  # how bundle_code() begins
LIBRARY_CACHE = "SAPA_CHART_LIBRARY_CACHE"  # environment: a folder that keeps vl-convert's bundle between runs


def _vega_bundle() -> str:
    """vl-convert's JavaScript bundle (seconds to make); kept in the folder LIBRARY_CACHE names, if it names one."""
    import vl_convert

    folder = os.environ.get(LIBRARY_CACHE)
    kept = Path(folder) / f"vl-convert-{version('vl-convert-python')}.js" if folder else None
    if kept is not None and kept.is_file():
        return kept.read_text(encoding="utf-8")
    bundle: str = vl_convert.javascript_bundle()  # type: ignore[call-arg]  # the stub wants an argument the function does not
    if kept is not None:
        kept.parent.mkdir(parents=True, exist_ok=True)
        write_text(kept, bundle)
    return bundle


def _draw_code() -> str:
    """`sapaDraw(id, spec, keep)`, once per page: turns each dataset back from columns into rows (see
    `_columns`) and draws the chart; `keep` leaves its view in `window.sapaViews` (so a chart that recomputes
    in the browser can be checked there)."""
    options = json.dumps(EMBED_OPTIONS, ensure_ascii=False)
    return (
        "window.sapaDraw=window.sapaDraw||function(id,spec,keep){"
        "for(var k in spec.datasets){var d=spec.datasets[k],rows=[];"
        "for(var r=0;r<d.n;r++){var o={};"
        "for(var c in d.c){var v=d.c[c];o[c]=Array.isArray(v)?v[r]:v.v[v.i[r]];}rows.push(o);}"
        "spec.datasets[k]=rows;}"
        f"return vegaEmbed('#'+id,spec,{options})"
        ".then(function(r){if(keep){(window.sapaViews=window.sapaViews||{})[id]=r.view;}})"
        ".catch(function(e){console.error(e);});};"
    )


def _columns(rows: list[dict]) -> dict:
    """A dataset as columns, each text column as its distinct values and an index per row: the same data in
    a fraction of the bytes (key names and long labels are not repeated on every row). Numbers keep ten
    significant digits: to the øre, without float noise."""
    columns: dict[str, Any] = {}
    for key in dict.fromkeys(k for row in rows for k in row):
        values = [row.get(key) for row in rows]
        values = [float(f"{v:.10g}") if isinstance(v, float) else v for v in values]
        if all(isinstance(v, str) for v in values):
            distinct = list(dict.fromkeys(values))
            where = {v: i for i, v in enumerate(distinct)}
            columns[key] = {"v": distinct, "i": [where[v] for v in values]}
        else:
            columns[key] = values
    return {"n": len(rows), "c": columns}


def bundle_script() -> str:
    """The chart library as a page carries it inline."""
    return f"<script>{bundle_code()}</script>"


# In a report build the first chart carries this stand-in for the bundle; the page puts the bundle back
# (report.page), so the megabyte of JavaScript is not made, sent, parsed and templated once per report.
BUNDLE_STAND_IN = "<script>/* sapa: chart library */</script>"
_build = {"stand_in": False, "seconds": 0.0}  # see for_report_build()


def for_report_build() -> None:
    """Make this process (a report build's kernel) draw charts for the build: the first chart carries
    BUNDLE_STAND_IN instead of the bundle, and a chart's Vega-Lite spec is not validated again as it is
    displayed (the same charts are validated by the test suite; the output is the same either way). The time
    spent turning charts into HTML adds up in chart_seconds()."""
    from altair.utils import schemapi

    schemapi.DEBUG_MODE = False  # no validation of each part as a chart is put together
    alt.TopLevelMixin._repr_mimebundle_ = _unchecked_mimebundle  # type: ignore[method-assign, assignment]
    _build["stand_in"] = True


def _unchecked_mimebundle(chart: alt.TopLevelMixin, *_, **__) -> Any:
    started = time.perf_counter()
    try:
        renderer = alt.renderers.get()
        return renderer(chart.to_dict(context={"pre_transform": False}, validate=False)) if renderer else None
    finally:
        _build["seconds"] += time.perf_counter() - started


def chart_seconds() -> float:
    """Seconds this build kernel has spent turning charts into HTML (Altair to Vega-Lite JSON, and the page's
    markup), since it started."""
    return _build["seconds"]


def _render(spec: dict, **_) -> dict:
    _session["count"] += 1
    chart_id = f"sapa-chart-{_session['count']}"
    bundle = "" if _session["bundle_sent"] else BUNDLE_STAND_IN if _build["stand_in"] else bundle_script()
    _session["bundle_sent"] = True
    title = spec.get("title", {})
    title = title.get("text", "") if isinstance(title, dict) else str(title)
    label = html.escape(spec.get("description") or title, quote=True)
    spec = {**spec, "datasets": {k: _columns(rows) for k, rows in spec.get("datasets", {}).items()}}
    payload = json.dumps(spec, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    keep = "1" if any("bind" in p for p in spec.get("params", [])) else "0"
    script = f'(function d(){{window.sapaDraw?sapaDraw("{chart_id}",{payload},{keep}):setTimeout(d,25);}})();'
    return {
        "text/html": f'{bundle}<figure id="{chart_id}" class="sapa-chart" role="img" aria-label="{label}"></figure>'
        f"<script>{script}</script>",
        "text/plain": f"<Diagram: {title}>",
    }


def enable() -> None:
    """Use the offline renderer from here on; the next chart carries the JavaScript bundle again."""
    alt.renderers.register("sapa", _render)
    alt.renderers.enable("sapa")
    _session.update(count=0, bundle_sent=False)
