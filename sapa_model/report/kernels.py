"""Execute plain papermill notebooks on a warm kernel, reused from report to report.

Each worker process keeps one Jupyter kernel. Before every notebook the kernel's namespace is reset, so
reports cannot see each other's variables, while imports (pandas, altair, sapa_model) stay loaded. The
notebooks themselves are untouched: papermill injects the parameters exactly as its CLI does.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

from ..errors import ReportError

RESET = "%reset -f"
WARM_UP = "import pandas, altair, sapa_model.views.notebook, sapa_model.views.analysis"
START_UP_TIMEOUT = 120  # seconds for the kernel's imports; not counted against a report's time limit


class _Client(NotebookClient):
    """nbclient's client, but its exit-time clean-up tolerates a kernel already shut down (after Ctrl-C)."""

    async def _async_cleanup_kernel(self) -> None:
        if self.km is not None:
            await super()._async_cleanup_kernel()

    _cleanup_kernel = run_sync(_async_cleanup_kernel)


class WarmKernel:
    """One running kernel that executes notebook after notebook."""

    def __init__(self, cwd: Path, timeout: float):
        self.cwd, self.timeout = cwd, timeout
        self.manager: KernelManager | None = None
        self.client = None  # the kernel client, kept open between notebooks
        self.start()

    def start(self) -> None:
        """Start (or restart) the kernel and import what the notebooks need."""
        self.stop()
        self.manager = KernelManager(
            kernel_name="python3",
            transport="ipc",
            connection_file=str(Path(tempfile.mkdtemp(prefix="sapa-kernel-")) / "k.json"),
        )
        env = {**os.environ, "PYTHONWARNINGS": "ignore::DeprecationWarning"}
        self.manager.start_kernel(cwd=str(self.cwd), env=env)
        self._run(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(WARM_UP)]), START_UP_TIMEOUT)

    def stop(self) -> None:
        if self.client is not None:
            self.client.stop_channels()
        if self.manager is not None and self.manager.has_kernel:
            self.manager.shutdown_kernel(now=True)
        self.manager = self.client = None

    def _run(self, notebook: nbformat.NotebookNode, timeout: float | None = None) -> nbformat.NotebookNode:
        client = _Client(
            notebook,
            km=self.manager,
            timeout=timeout or self.timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(self.cwd)}},
            store_widget_state=False,
        )
        client.kc = self.client  # set after construction: NotebookClient.__init__ clears it
        result = client.execute()
        self.client = client.kc
        return result

    def execute(self, path: Path, parameters: dict) -> nbformat.NotebookNode:
        """Run a notebook with papermill's parameter injection on a clean namespace; a failure restarts the kernel."""
        notebook = parameterize_notebook(load_notebook_node(str(path)), parameters)
        notebook.cells.insert(0, nbformat.v4.new_code_cell(RESET))
        try:
            self._run(notebook)
        except BaseException:
            self.start()  # a failed or timed-out notebook may leave the kernel busy or broken
            raise
        finally:
            if _worker is self:
                install_signal_handlers()
        del notebook.cells[0]
        return notebook


_worker: WarmKernel | None = None


class ReportTimeout(Exception):
    """A report took longer than its time limit."""


@contextlib.contextmanager
def time_limit(seconds: float):
    """Raise ReportTimeout in this (worker) process if the block runs longer than `seconds`."""

    def expire(*_):
        raise ReportTimeout(f"took longer than the time limit of {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _stop_and_exit(*_) -> None:
    if _worker is not None:
        _worker.stop()
    os._exit(1)


def install_signal_handlers() -> None:
    """SIGTERM (a forced stop) shuts this worker's kernel down first. (nbclient replaces the handler while
    a notebook runs, so it is installed again after each one.)"""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_and_exit)


def start_worker(cwd: str, timeout: float) -> None:
    """Process-pool initializer: one warm kernel per worker, shut down when the worker is told to stop."""
    global _worker
    import warnings

    from ..errors import ParameterExtrapolationWarning

    warnings.simplefilter("ignore", ParameterExtrapolationWarning)  # the reports list them instead
    # Leave the terminal's process group: Ctrl-C goes to the main process only, which then lets this
    # worker finish its current report and stop its kernel cleanly.
    os.setpgrp()
    install_signal_handlers()
    _worker = WarmKernel(Path(cwd), timeout)
    import multiprocessing.util

    multiprocessing.util.Finalize(None, _worker.stop, exitpriority=10)


def worker() -> WarmKernel:
    """This process's warm kernel."""
    if _worker is None:
        raise ReportError("start_worker() was not called in this process")
    return _worker
