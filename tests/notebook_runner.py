"""Run a notebook with papermill and read the key figures it emits."""

from pathlib import Path

import nbformat
import papermill

from conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"


def run(name: str, tmp_path: Path, **parameters) -> nbformat.NotebookNode:
    output = tmp_path / f"{name}-out.ipynb"
    papermill.execute_notebook(str(NOTEBOOKS / f"{name}.ipynb"), str(output), parameters=parameters,
                               kernel_name="python3", progress_bar=False, cwd=str(ROOT))
    return nbformat.read(output, as_version=4)


def key_figures(notebook: nbformat.NotebookNode) -> dict:
    figures = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if "application/json" in output.get("data", {}):
                figures.update(output["data"]["application/json"])
    return figures


def text(notebook: nbformat.NotebookNode) -> str:
    """Everything the notebook displayed as Markdown or HTML (what a report reader sees)."""
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            parts.append(data.get("text/markdown", "") + data.get("text/html", ""))
    return "\n".join(parts)
