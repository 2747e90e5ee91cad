"""Run a notebook's code cells in one request to its kernel (kernels.py), each as a cell of its own.

Each cell runs through IPython as if it were sent alone (its own execution count, display hook and error), after
a marker output that names it and the time, so the build can give every cell back its own outputs and timing. This
module is imported inside the kernel: it imports nothing heavy.
"""

from __future__ import annotations

from datetime import UTC, datetime

MARK = "application/x-sapa-cell+json"  # the marker output's MIME type: {"cell": number, "at": ISO time}


def run(sources: list[str]) -> None:
    """Run the cells in order in the kernel's namespace; stop at the first that fails, with its error."""
    from IPython import get_ipython
    from IPython.display import publish_display_data

    shell = get_ipython()
    for number, source in enumerate([*sources, None]):
        publish_display_data({MARK: {"cell": number, "at": datetime.now(UTC).isoformat()}})
        if source is not None:
            result = shell.run_cell(source, store_history=True)
            if not result.success:
                raise result.error_in_exec or result.error_before_exec
