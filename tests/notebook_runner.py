"""Run a notebook with papermill, or as a report worker runs it, and read the key figures it emits."""

import atexit
import json
import select
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill

from conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"


def run_with_papermill(name: str, tmp_path: Path, **parameters) -> nbformat.NotebookNode:
    """Run a notebook as a user does with papermill (a Jupyter kernel of its own); a failing cell raises
    PapermillExecutionError."""
    output = tmp_path / f"{name}-out.ipynb"
    papermill.execute_notebook(str(NOTEBOOKS / f"{name}.ipynb"), str(output), parameters=parameters,
                               kernel_name="python3", progress_bar=False, cwd=str(ROOT))
    return nbformat.read(output, as_version=4)


SERVE = """
import json, sys
from pathlib import Path
import nbformat
from sapa_model.report.workers import WarmShell
shell = WarmShell(Path(sys.argv[1]))
for line in sys.stdin:
    path, parameters, out = json.loads(line)
    try:
        nbformat.write(shell.execute(Path(path), parameters), out)
        print(json.dumps(None), flush=True)
    except Exception as exc:
        print(json.dumps([type(exc).__name__, str(exc)]), flush=True)
"""
_warm: list[subprocess.Popen] = []  # the warm worker of this test process, started by the first run()


def run(name: str, tmp_path: Path, **parameters) -> nbformat.NotebookNode:
    """Run a notebook as the report build does (a worker's warm shell, see in_a_worker), in one process kept for
    the test session: after the first notebook, with its imports and results loaded."""
    if not _warm or _warm[0].poll() is not None:
        _warm[:] = [subprocess.Popen([sys.executable, "-c", SERVE, str(ROOT)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, cwd=ROOT)]
        atexit.register(_warm[0].kill)
    output = tmp_path / f"{name}-out.ipynb"
    worker = _warm[0]
    worker.stdin.write(json.dumps([str(NOTEBOOKS / f"{name}.ipynb"), parameters, str(output)]) + "\n")
    worker.stdin.flush()
    ready, _, _ = select.select([worker.stdout], [], [], 600)
    answer = json.loads(worker.stdout.readline() or "[\"EOFError\", \"the worker ended\"]") if ready else None
    if answer is not None:
        raise AssertionError(f"{name} failed as a report worker runs it: {answer}")
    return nbformat.read(output, as_version=4)


def in_a_worker(*runs: tuple[Path, dict, Path]) -> list:
    """Run notebooks one after the other as a report worker does (sapa_model.report.workers.WarmShell: one shell, a
    fresh namespace each), in a process of its own (SERVE); for each, the executed notebook, or its error as
    [exception name, message]."""
    given = "".join(json.dumps([str(path), parameters, str(out)]) + "\n" for path, parameters, out in runs)
    answers = subprocess.run([sys.executable, "-c", SERVE, str(ROOT)], input=given, capture_output=True, text=True,
                             check=True, timeout=600, cwd=ROOT).stdout.splitlines()
    assert len(answers) == len(runs), answers
    return [json.loads(answer) or nbformat.read(out, as_version=4) for answer, (_, _, out) in zip(answers, runs)]


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
