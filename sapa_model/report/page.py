"""Turn an executed notebook into one self-contained HTML page: no code, no network."""

from __future__ import annotations

import base64
import hashlib
import html
import re
from functools import cache
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from traitlets.config import Config

STYLE = Path(__file__).with_name("style.css")


@cache
def _exporter() -> HTMLExporter:
    config = Config()
    config.TemplateExporter.exclude_input = True
    config.TemplateExporter.exclude_input_prompt = True
    config.TemplateExporter.exclude_output_prompt = True
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = ("remove_cell",)
    config.HTMLExporter.exclude_anchor_links = True
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


def content_security_policy(page_body: str) -> str:
    """A Content-Security-Policy that lets exactly the page's own inline scripts run (by their SHA-256) and
    nothing else: no script from the network, no injected script, no eval, no plugin, no form, no frame."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()}'"
        for code in re.findall(r"<script>(.*?)</script>", page_body, flags=re.S)
    )
    return (
        f"default-src 'none'; script-src {hashes or chr(39) + 'none' + chr(39)}; style-src 'unsafe-inline'; "
        "img-src data:; font-src data:; base-uri 'none'; form-action 'none'"
    )


def document(title: str, body: str, extra_style: str = "") -> str:
    """A whole page around a body: language, viewport, title, the house style and the CSP for its scripts."""
    return (
        '<!DOCTYPE html>\n<html lang="da">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{content_security_policy(body)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>\n{STYLE.read_text(encoding='utf-8')}{extra_style}</style>\n"
        f"</head>\n<body>\n{body}</body>\n</html>\n"
    )


def render(notebook: nbformat.NotebookNode, title: str, top: str = "", bottom: str = "") -> str:
    """The page: our header, the notebook's outputs and Markdown, our footer; CSS inline, no scripts from outside."""
    notebook = _without_machine_outputs(notebook)
    body, _ = _exporter().from_notebook_node(notebook)
    return document(title, f"{top}<main>\n{body}\n{bottom}</main>\n")
