"""An Altair renderer that works with no network.

`enable()` switches Altair to the 'sapa' renderer: each chart becomes a <figure> plus a call that draws it,
and the first chart of a session also carries the Vega JavaScript bundle (from vl-convert), guarded so
it is defined once. A notebook exported to HTML is therefore one file that draws its charts offline,
and the same output draws live in JupyterLab.
"""

from __future__ import annotations

import html
import json
from functools import cache
from typing import Any

import altair as alt

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
    import vl_convert

    bundle: str = vl_convert.javascript_bundle()  # type: ignore[call-arg]  # the stub wants an argument the function does not
    return "if (!window.vegaEmbed) {\n" + bundle.replace("</script", "<\\/script") + "\n}\n" + _draw_code()


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


def _bundle_script() -> str:
    return f"<script>{bundle_code()}</script>"


def _render(spec: dict, **_) -> dict:
    _session["count"] += 1
    chart_id = f"sapa-chart-{_session['count']}"
    bundle = "" if _session["bundle_sent"] else _bundle_script()
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
