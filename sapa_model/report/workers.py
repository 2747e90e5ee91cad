"""Execute plain papermill notebooks in the report workers themselves, on one IPython shell kept warm from report
to report.

Each worker process runs its notebooks on an IPython shell of its own, in the worker: no Jupyter kernel, no
messages. Before every notebook the shell's namespace is reset, so reports cannot see each other's variables,
while imports (pandas, altair, sapa_model) and the results computed once per build stay loaded. The notebooks
themselves are untouched: papermill injects the parameters exactly as its CLI does, and each cell gets the
outputs a kernel would have given it (display data, the value of its last line, what it prints), as nbclient
records them.

A worker never outlives the build: it exits when the build's process goes away (a thread watches the build's own
process, whatever ended it, SIGKILL too); then the forkserver and the resource tracker, which wait for the
workers, end too.
"""

from __future__ import annotations

import contextlib
import os
import resource
import select
import signal
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import nbformat

from ..errors import ReportError
from ..files import running

# What every report needs, imported once, by the workers' forkserver, before it forks them (build._forkserver);
# the build's own process does without most of it.
WARM_UP = (
    "pandas",
    "altair",
    "nbconvert",
    "papermill.iorw",
    "papermill.parameterize",
    "IPython.core.interactiveshell",
    "jupyter_client.session",
    "sapa_model.views.notebook",
    "sapa_model.views.tables",
    "sapa_model.analysis.risk",
    "sapa_model.views.render",
    "sapa_model.analysis.memo",
)
SHARED = "shared.pickle"  # in the build's scratch folder: results every report reads, computed once (memo)


def _now() -> str:
    return datetime.now(UTC).isoformat()


class WarmShell:
    """An IPython shell in this process that executes notebook after notebook, each on a fresh namespace, and
    gives each cell the outputs a Jupyter kernel would have sent nbclient. No history database and no output cache
    are kept, and the cells' history is dropped with each notebook: a report needs none of them, and the cache's
    flush at each reset runs a full garbage collection. One per process (IPython's shell is a singleton)."""

    def __init__(self, cwd: Path, scratch: Path | None = None):
        from IPython.core.displayhook import DisplayHook
        from IPython.core.displaypub import DisplayPublisher
        from IPython.core.interactiveshell import InteractiveShell
        from jupyter_client.session import json_packer, json_unpacker
        from traitlets.config import Config

        self.cwd = cwd
        self.outputs: list = []  # the outputs of the cell that runs now
        sink = self

        def sent(content: dict) -> dict:  # what arrives after the kernel's JSON messages (numbers, tuples, ...)
            return json_unpacker(json_packer(content))

        class Publisher(DisplayPublisher):  # display(): a display_data output
            def publish(self, data, metadata=None, *_, **__):  # a display's update is shown as a new output
                content = sent({"data": data, "metadata": metadata or {}})
                sink.outputs.append(nbformat.v4.new_output("display_data", **content))

            def clear_output(self, wait=False):
                sink.outputs.clear()

        class Hook(DisplayHook):  # a cell's last line: an execute_result output
            def write_output_prompt(self):
                pass

            def write_format_data(self, format_dict, md_dict=None):
                content = sent({"data": format_dict, "metadata": md_dict or {}})
                sink.outputs.append(
                    nbformat.v4.new_output("execute_result", execution_count=self.prompt_count, **content)
                )

        if InteractiveShell.initialized():
            raise ReportError("a process runs its notebooks on one WarmShell; this one has a shell already")
        import pandas as pd

        pd.set_option("display.max_columns", 20)  # pandas took this process for a terminal: show tables as a kernel
        pd.set_option("display.width", 80)
        config = Config()
        config.HistoryManager.enabled = False
        config.InteractiveShell.cache_size = 0
        config.InteractiveShell.colors = "nocolor"
        self.shell = InteractiveShell.instance(
            config=config, display_pub_class=Publisher, displayhook_class=Hook, user_ns={}
        )
        self.shared = Path(scratch) / SHARED if scratch else None
        self.loaded = False
        self.charts = 0.0  # chart seconds when last asked (chart_seconds)

    def chart_seconds(self) -> float:
        """Seconds spent turning charts into HTML since this was last asked (views.render.chart_seconds)."""
        from ..views.render import chart_seconds

        total = chart_seconds()
        spent, self.charts = total - self.charts, total
        return spent

    def _run_cell(self, cell: nbformat.NotebookNode) -> None:
        self.outputs = cell.outputs
        with _streams(self):
            result = self.shell.run_cell(cell.source, store_history=True)
        if not result.success:
            error = result.error_in_exec or result.error_before_exec
            if isinstance(error, Exception | ReportTimeout):
                raise error
            # sys.exit() and the like in a notebook: that report fails; the worker goes on with the next one
            raise ReportError(f"the notebook stopped with {type(error).__name__}: {error}") from error

    def execute(self, path: Path, parameters: dict) -> nbformat.NotebookNode:
        """Run a notebook with papermill's parameter injection on a clean namespace; each cell gets its outputs and
        its timing (as nbclient records them); the first cell that fails raises its error."""
        from papermill.iorw import load_notebook_node
        from papermill.parameterize import parameterize_notebook

        if not self.loaded and self.shared is not None and self.shared.exists():
            from ..analysis.memo import load_results

            load_results(self.shared)  # the results the build computed once for every report
            self.loaded = True
        notebook = parameterize_notebook(load_notebook_node(str(path)), parameters)
        self._fresh()
        try:
            with contextlib.chdir(self.cwd):
                for cell in notebook.cells:
                    if cell.cell_type != "code":
                        continue
                    begun = _now()
                    try:
                        self._run_cell(cell)
                    finally:
                        cell.metadata["execution"] = {"iopub.execute_input": begun, "shell.execute_reply": _now()}
        except BaseException:
            self._fresh()  # a failed notebook's objects are not kept until the next report
            raise
        return notebook

    def _fresh(self) -> None:
        """An empty namespace and history, and no last error held (what a new kernel would start with)."""
        self.shell.reset(new_session=False)
        history = self.shell.history_manager
        if history is not None:
            history.input_hist_parsed[:] = history.input_hist_raw[:] = [""]
        for name in ("last_type", "last_value", "last_traceback", "last_exc"):
            if hasattr(sys, name):
                delattr(sys, name)


class _Stream:
    """sys.stdout or sys.stderr while a cell runs: what it writes becomes the cell's stream output, consecutive
    writes to one stream in one output."""

    def __init__(self, shell: WarmShell, name: str):
        self.shell, self.name = shell, name

    def write(self, text: str) -> int:
        outputs = self.shell.outputs
        if not text:  # as a kernel: nothing written, no output
            return 0
        if outputs and outputs[-1].get("output_type") == "stream" and outputs[-1].get("name") == self.name:
            outputs[-1]["text"] += text
        else:
            outputs.append(nbformat.v4.new_output("stream", name=self.name, text=text))
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


@contextlib.contextmanager
def _streams(shell: WarmShell):
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Stream(shell, "stdout"), _Stream(shell, "stderr")
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


_worker: WarmShell | None = None


def over_time(seconds: float) -> str:
    """What a report that ran over its time limit fails with."""
    return f"took longer than the time limit of {seconds:g} s"


class ReportTimeout(BaseException):
    """A report took longer than its time limit. Not an Exception, so that no `except Exception` on the way (in a
    library, or IPython's display formatters) can swallow it."""


@contextlib.contextmanager
def time_limit(seconds: float):
    """Raise ReportTimeout in this (worker) process if the block runs longer than `seconds`, and again each second
    after, until the block has ended."""

    def expire(*_):
        raise ReportTimeout(over_time(seconds))

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _stop_and_exit(*_) -> None:
    os._exit(1)


def install_signal_handlers() -> None:
    """SIGTERM (a forced stop) ends this worker at once; Ctrl-C is the build's to handle."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_and_exit)


def _watch_build(build: int) -> None:
    """Exit as soon as the build's process is gone, however it ended (SIGKILL too). The build's own process is
    watched, not this worker's parent: that is the multiprocessing forkserver, which stays while any worker runs,
    so it would never go first."""
    try:
        handle = os.pidfd_open(build)  # readable once the process has ended: no polling
    except ProcessLookupError:
        _stop_and_exit()
    except (AttributeError, OSError):  # no pidfd (not Linux, or an old kernel): look twice a second
        while running(build):
            time.sleep(0.5)
        _stop_and_exit()
    select.select([handle], [], [])
    _stop_and_exit()


def start_worker(cwd: str, scratch: str = "", build: int = 0) -> None:
    """Process-pool initializer: the worker's warm shell, with what every report needs imported; the worker ends
    when it is told to stop or the build (process `build`, default: the parent) goes away."""
    global _worker
    import importlib
    import warnings

    from ..errors import ParameterExtrapolationWarning

    warnings.simplefilter("ignore", ParameterExtrapolationWarning)  # the reports list them instead
    # Leave the terminal's process group: Ctrl-C goes to the main process only, which then lets this
    # worker finish its current report.
    os.setpgrp()
    if scratch:  # what the worker itself writes to its terminal goes to a log beside it instead
        log = os.open(Path(scratch) / f"worker-{os.getpid()}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
    install_signal_handlers()
    threading.Thread(target=_watch_build, args=(build or os.getppid(),), daemon=True).start()
    for module in WARM_UP:
        importlib.import_module(module)
    from ..views import render

    render.for_report_build()
    _worker = WarmShell(Path(cwd), Path(scratch) if scratch else None)


def memory_limit_note() -> str:
    """Why a worker most likely died when this process runs under a memory limit of its own (ulimit -v or -d,
    which the workers inherit): a clause to add to the message, or '' without such a limit."""
    for limit, option in ((resource.RLIMIT_AS, "-v"), (resource.RLIMIT_DATA, "-d")):
        soft, _ = resource.getrlimit(limit)
        if soft != resource.RLIM_INFINITY:
            return (
                f"; most likely it ran out of memory under the limit of {soft / 2**30:.1f} GB set with "
                f"ulimit {option}, too little for a report worker with the model loaded (raise it, or remove it)"
            )
    return ""


def worker() -> WarmShell:
    """This process's warm shell."""
    if _worker is None:
        raise ReportError("start_worker() was not called in this process")
    return _worker
