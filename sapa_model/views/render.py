"""An Altair renderer that works with no network.

`enable()` switches Altair to the 'sapa' renderer: each chart becomes a <figure> plus a call that draws it,
and the first chart of a session also carries the Vega JavaScript bundle (from vl-convert), guarded so
it is defined once. A notebook exported to HTML is therefore one file that draws its charts offline,
and the same output draws live in JupyterLab.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import time
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd

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
LIBRARY_CACHE = "SAPA_CHART_LIBRARY_CACHE"  # environment: the folder that keeps vl-convert's bundle between runs


def library_folder() -> Path | None:
    """Where vl-convert's bundle is kept between runs: the folder LIBRARY_CACHE names (empty: nowhere), else this
    user's cache folder ($XDG_CACHE_HOME or ~/.cache, then sapa-budget)."""
    given = os.environ.get(LIBRARY_CACHE)
    if given is not None:
        return Path(given) if given else None
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sapa-budget"


def _vega_bundle() -> str:
    """vl-convert's JavaScript bundle (a second to make), kept in library_folder() under its version; made again
    when that folder cannot be read or written."""
    import vl_convert

    folder = library_folder()
    kept = folder / f"vl-convert-{version('vl-convert-python')}.js" if folder else None
    with contextlib.suppress(OSError, UnicodeDecodeError):
        if kept is not None and kept.is_file():
            return kept.read_text(encoding="utf-8")
    bundle: str = vl_convert.javascript_bundle()  # type: ignore[call-arg]  # the stub wants an argument the function does not
    if kept is not None:
        with contextlib.suppress(OSError):
            write_text(kept, bundle)  # its folder made as it is written
    return bundle


# Drawing a chart for the width it gets (a phone: 360 px): a single or layered chart fills the width exactly
# (Vega's autosize fit-x, axes and legends included); one with a height per row (bars) and small multiples are
# drawn once and narrowed by what they overflow (small multiples go one per row on a narrow screen). On a narrow
# screen a chart of fixed height is also drawn lower (the page stays short), a crowded x axis shows every other
# label (years that would run together), titles are wrapped into lines and legends have one entry per row. Text
# keeps its size (11 px and up): nothing is scaled down. A chart is drawn again when its width changes (a phone
# turned, a window resized); a chart that is not shown (width 0: left off a phone) is drawn as designed.
_FIT = (
    "function sapaWrap(t,n){if(typeof t!=='string'||t.length<=n)return t;var out=[],line='';"
    "t.split(' ').forEach(function(word){if(line&&(line+' '+word).length>n){out.push(line);line=word;}"
    "else{line=line?line+' '+word:word;}});if(line)out.push(line);return out;}"
    "function sapaFit(spec,w,room){if(!w)return spec;var s=Object.assign({},spec),narrow=w<560;"
    "if(s.facet&&s.spec&&typeof s.spec.width==='number'){var cols=narrow?1:(s.columns||1);s.columns=cols;"
    "s.spec=Object.assign({},s.spec,{width:Math.max(100,Math.min(s.spec.width,Math.floor((w-room)/cols)-12))});}"
    "else if(typeof s.width==='number'&&w<s.width+room){if(typeof s.height==='object')s.width=w-room;"
    "else{s.width=w;s.autosize={type:'fit-x',contains:'padding'};}}"
    "if(narrow&&s.title&&typeof s.title==='object'){s.title=Object.assign({},s.title,"
    "{text:sapaWrap(s.title.text,Math.floor(w/9)),subtitle:sapaWrap(s.title.subtitle,Math.floor(w/6.6))});}"
    "if(narrow){s.config=Object.assign({},s.config);if(typeof s.height==='number')"
    "s.height=Math.max(140,Math.round(s.height*0.7));"
    "s.config.axisX=Object.assign({},s.config.axisX,{labelOverlap:'parity'});"
    "s.config.legend=Object.assign({},s.config.legend,{columns:1});}return s;}"
)
# The sliders' readouts in Danish formats (150.000; 50 %), where a chart asks for them (usermeta.sapaReadout).
_READOUT = (
    "function sapaReadout(el,view,kinds){Object.keys(kinds||{}).forEach(function(name){"
    "var input=el.querySelector('input[name=\"'+name+'\"]'),span=input&&input.nextElementSibling;"
    "if(!span)return;var show=function(v){span.textContent=kinds[name]==='pct'?"
    "Math.round(100*v)+' %':String(Math.round(v)).replace(/\\B(?=(\\d{3})+(?!\\d))/g,'.');};"
    "show(view.signal(name));view.addSignalListener(name,function(n,v){show(v);});"
    "['input','change'].forEach(function(e){input.addEventListener(e,function(){show(+input.value);});});});}"
)


def _draw_code() -> str:
    """`sapaDraw(id, spec, keep)`, once per page: turns each dataset back from columns into rows (see
    `_columns`) and draws the chart for the width its figure has (see _FIT), with Danish slider readouts;
    `keep` leaves its view in `window.sapaViews` (so a chart that recomputes in the browser can be checked
    there)."""
    options = json.dumps(EMBED_OPTIONS, ensure_ascii=False)
    return (
        "window.sapaDraw=window.sapaDraw||(function(){"
        + _FIT
        + _READOUT
        + "var timer;addEventListener('resize',function(){clearTimeout(timer);timer=setTimeout(function(){"
        "document.querySelectorAll('.sapa-chart').forEach(function(e){"
        "if(e.sapaRedraw&&Math.abs(e.clientWidth-e.sapaWidth)>24)e.sapaRedraw();});},250);});"
        "return function(id,spec,keep){"
        "for(var k in spec.datasets){var d=spec.datasets[k],rows=[];"
        "for(var r=0;r<d.n;r++){var o={};"
        "for(var c in d.c){var v=d.c[c];o[c]=Array.isArray(v)?v[r]:v.v[v.i[r]];}rows.push(o);}"
        "spec.datasets[k]=rows;}"
        "var el=document.getElementById(id),shown=null;"
        "function embed(s){if(shown)shown.finalize();"
        f"return vegaEmbed('#'+id,s,{options}).then(function(r){{shown=r;"
        "if(keep){(window.sapaViews=window.sapaViews||{})[id]=r.view;}"
        "sapaReadout(el,r.view,(spec.usermeta||{}).sapaReadout);return r;});}"
        "function draw(){var w=el.clientWidth;el.sapaWidth=w;"
        "return embed(sapaFit(spec,w,110)).then(function(){var svg=el.querySelector('svg'),"
        "over=svg?parseFloat(svg.getAttribute('width'))-w:0;"
        "if(over>1&&(spec.facet||typeof spec.height==='object'))"
        "return embed(sapaFit(spec,w,110+over*((spec.facet&&w>=560&&spec.columns)||1)));});}"
        "el.sapaRedraw=draw;return draw().catch(function(e){console.error(e);});};})();"
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
    """Make this process (a report build's worker) draw charts for the build: the first chart carries
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
    """Seconds this build worker has spent turning charts into HTML (Altair to Vega-Lite JSON, and the page's
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


def _values(data: Any) -> Any:
    """Altair's own data transformer, given a table without its attrs (the provenance our tables carry, which
    pandas would copy at each of the transformer's steps); the values are the same."""
    from altair.vegalite.data import default_data_transformer

    return default_data_transformer(pd.DataFrame(data) if isinstance(data, pd.DataFrame) else data)


def enable() -> None:
    """Use the offline renderer from here on; the next chart carries the JavaScript bundle again."""
    alt.renderers.register("sapa", _render)
    alt.renderers.enable("sapa")
    alt.data_transformers.register("sapa", _values)
    alt.data_transformers.enable("sapa")
    _session.update(count=0, bundle_sent=False)
