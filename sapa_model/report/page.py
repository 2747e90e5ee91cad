"""Turn an executed notebook into one self-contained HTML page: no code, no network."""

from __future__ import annotations

import base64
import hashlib
import html
import re
from functools import cache

import nbformat

from ..views import STYLE_SHEET

STYLE = STYLE_SHEET
MAIN = '<main id="main">'  # where every page's content starts: the skip link's target
SKIP = '<a class="sapa-skip" href="#main">Gå til indholdet</a>\n'  # the first tab stop of every page


@cache
def _exporter():
    """nbconvert's HTML exporter as the reports use it (imported here: only the workers, which preload it, need it)."""
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    config = Config()
    config.TemplateExporter.exclude_input = True
    config.TemplateExporter.exclude_input_prompt = True
    config.TemplateExporter.exclude_output_prompt = True
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = ("remove_cell",)
    config.HTMLExporter.exclude_anchor_links = True
    config.HTMLExporter.optimistic_validation = True  # validate once, not after each of a dozen preprocessors
    return HTMLExporter(config=config, template_name="basic")


def _without_machine_outputs(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy with stable cell ids, without outputs meant for tests (the key figures as JSON) or stderr."""
    copy = nbformat.from_dict(notebook)
    copy.metadata.pop("widgets", None)  # without a kernel, widgets fall back to their static HTML
    for number, cell in enumerate(copy.cells):
        cell.id = f"c{number}"  # papermill gives its injected cell a random id; reports must be reproducible
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.outputs
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
                and set(o.get("data", {})) != {"application/json"}
            ]
    return copy


# On paper the folded details (the banner's list of values) are shown too; on a phone the long tables that a
# chart also shows are folded (views.presentation.folded).
PRINT_OPEN = (
    "addEventListener('beforeprint',()=>document.querySelectorAll('details').forEach(d=>d.open=true));"
    "if(matchMedia('(max-width: 700px)').matches)document.querySelectorAll('details.sapa-fold')"
    ".forEach(d=>d.open=false);"
)


ASSET = "assets/vega.js"  # with --shared-assets: the chart library, once for the whole site
STYLE_ASSET = "assets/style.css"  # and the house style


def assets() -> dict[str, str]:
    """What --shared-assets writes once for the whole site: path -> content."""
    from ..views.render import bundle_code

    return {ASSET: bundle_code(), STYLE_ASSET: STYLE.read_text(encoding="utf-8")}


def digest(code: str) -> str:
    """A script's SHA-256 as CSP and subresource integrity write it."""
    return f"sha256-{base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()}"


def library_tag(prefix: str) -> str:
    """The reference to the site's one copy of the chart library (ASSET, under `prefix`)."""
    return f'<script src="{prefix}{ASSET}"></script>'


def shared_bundle(body: str, prefix: str) -> str:
    """A page body whose inline chart library is replaced by a reference to the site's one copy (ASSET, under
    `prefix`; the page's CSP then allows scripts from its own site)."""
    from ..views.render import BUNDLE_START, bundle_code

    if f"<script>{BUNDLE_START}" not in body:  # no inline copy (or already a reference): nothing to replace
        return body
    return body.replace(f"<script>{bundle_code()}</script>", library_tag(prefix))


# An inline script's code: what lies between <script> and the first </script> after it (as .*? would match it, but
# without trying </script> at every character of a megabyte of chart library).
INLINE_SCRIPT = re.compile(r"<script>([^<]*(?:<(?!/script>)[^<]*)*)</script>")


def content_security_policy(page_body: str, shared: bool = False) -> str:
    """A Content-Security-Policy that lets exactly the page's own inline scripts run (by their SHA-256) and
    nothing else: no script from the network, no injected script, no eval, no plugin, no form, no frame."""
    hashes = " ".join([f"'{digest(code)}'" for code in [*INLINE_SCRIPT.findall(page_body), PRINT_OPEN]])
    site = " 'self'" if shared else ""  # --shared-assets: the site's own style and chart library
    return (
        f"default-src 'none'; script-src {hashes}{site}; style-src 'unsafe-inline'{site}; "
        "img-src data:; font-src data:; base-uri 'none'; form-action 'none'"
    )


def css_string(text: str) -> str:
    """Text as a CSS string literal: letters, digits and spaces as they are, everything else escaped."""
    return '"' + "".join(c if c.isalnum() or c == " " else f"\\{ord(c):x} " for c in text) + '"'


def document(title: str, body: str, extra_style: str = "", assets: str | None = None) -> str:
    """A whole page around a body: language, viewport, title, the house style and the CSP for its scripts.
    `assets`: the relative path to the site's folder when the style and chart library are shared (else inline)."""
    # On paper: the report's title in the top margin of every page (the page number is in style.css).
    extra_style += f"@page {{ @top-left {{ content: {css_string(title)}; font-size: 8pt; color: #5b6672; }} }}\n"
    if assets is not None:
        body = shared_bundle(body, assets)
        style = f'<link rel="stylesheet" href="{assets}{STYLE_ASSET}">\n<style>{extra_style}</style>'
    else:
        style = f"<style>\n{STYLE.read_text(encoding='utf-8')}{extra_style}</style>"
    return (
        '<!DOCTYPE html>\n<html lang="da">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{content_security_policy(body, assets is not None)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n{style}\n"
        f"</head>\n<body>\n{SKIP}{body}<script>{PRINT_OPEN}</script>\n</body>\n</html>\n"
    )


def render(
    notebook: nbformat.NotebookNode, title: str, top: str = "", bottom: str = "", assets: str | None = None
) -> str:
    """The page: our header, the notebook's outputs and Markdown, our footer; CSS inline, no scripts from outside.
    `assets`: the relative path to the site's folder when the chart library is shared (else it is inline)."""
    from ..views.render import bundle_script

    body = notebook_html(notebook, bundle_script() if assets is None else library_tag(assets))
    return document(title, f"{top}{MAIN}\n{body}\n{bottom}</main>\n", assets=assets)


def notebook_html(notebook: nbformat.NotebookNode, library: str) -> str:
    """The notebook's outputs and Markdown as HTML (nbconvert's basic template, no code); where a build's
    notebook left its stand-in for the chart library, `library` (the script, or library_tag())."""
    from ..views.render import BUNDLE_STAND_IN

    body, _ = _exporter().from_notebook_node(_without_machine_outputs(notebook))
    return body.replace(BUNDLE_STAND_IN, library, 1)
