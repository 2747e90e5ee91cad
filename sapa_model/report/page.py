"""Turn an executed notebook into one self-contained HTML page: no code, no network."""

from __future__ import annotations

import html
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


def render(notebook: nbformat.NotebookNode, title: str, top: str = "", bottom: str = "") -> str:
    """The page: our header, the notebook's outputs and Markdown, our footer; CSS inline, no scripts from outside."""
    notebook = _without_machine_outputs(notebook)
    body, _ = _exporter().from_notebook_node(notebook)
    return (
        '<!DOCTYPE html>\n<html lang="da">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>\n{STYLE.read_text(encoding='utf-8')}</style>\n</head>\n"
        f"<body>\n{top}<main>\n{body}\n{bottom}</main>\n</body>\n</html>\n"
    )
