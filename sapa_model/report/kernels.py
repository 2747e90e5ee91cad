"""Execute plain papermill notebooks on a warm kernel, reused from report to report.

Each worker process keeps one Jupyter kernel. Before every notebook the kernel's namespace is reset, so
reports cannot see each other's variables, while imports (pandas, altair, sapa_model) stay loaded. The
notebooks themselves are untouched: papermill injects the parameters exactly as its CLI does.

A worker never outlives the build: it stops its kernel and exits when the build's process goes away (a
thread watches the build's own process, whatever ended it, SIGKILL too), and a kernel exits when its worker
goes away; then the forkserver and the resource tracker, which wait for the workers, end too. Kernels
keep their connection files in the build's scratch folder, which the build removes at the end.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import resource
import select
import signal
import threading
import time
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

from ..errors import ReportError
from ..files import running
from .cells import MARK

RESET = "get_ipython().reset(new_session=False)"  # what %reset -f does, without its full garbage collection
WARM_UP = (
    "import pandas, altair, sapa_model.views.notebook, sapa_model.views.tables, sapa_model.analysis.risk\n"
    "import sapa_model.views.render, sapa_model.analysis.memo\nsapa_model.views.render.for_report_build()"
)
SHARED = "shared.pickle"  # in the build's scratch folder: results every report reads, computed once (memo)
# The kernel keeps no input history (an SQLite write per cell) and no output cache (whose flush at each reset
# runs a full garbage collection): a report needs neither, and each costs time in every cell.
KERNEL_OPTIONS = ["--HistoryManager.enabled=False", "--InteractiveShell.cache_size=0"]
START_UP_TIMEOUT = 120  # seconds for the kernel's imports; not counted against a report's time limit
_quiet = logging.getLogger("sapa_model.kernels")
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False  # nbclient logs a failing cell's traceback; the build reports the failure itself


class _Client(NotebookClient):
    """nbclient's client, but its exit-time clean-up tolerates a kernel already shut down (after Ctrl-C)."""

    async def _async_cleanup_kernel(self) -> None:
        if self.km is not None:
            await super()._async_cleanup_kernel()

    _cleanup_kernel = run_sync(_async_cleanup_kernel)


UNIX_SOCKET_PATH = 107  # bytes a Unix socket's path may hold (Linux's sun_path, less its closing NUL)


def transport_for(connection: Path) -> str:
    """'ipc' (Unix sockets beside the connection file, named after it + '-ipc-<n>'), or 'tcp' on the loopback
    when those names would be too long for a Unix socket (a long TMPDIR)."""
    return "ipc" if len(os.fsencode(connection.with_suffix(""))) + len("-ipc-99999") <= UNIX_SOCKET_PATH else "tcp"


class WarmKernel:
    """One running kernel that executes notebook after notebook. Its client is asynchronous, so a kernel
    that dies mid-report is noticed within a second (nbclient polls it), not after the time limit."""

    def __init__(self, cwd: Path, timeout: float, scratch: Path | None = None):
        self.cwd, self.timeout, self.scratch = cwd, timeout, scratch
        self.manager: AsyncKernelManager | None = None
        self.charts = 0.0  # the kernel's chart seconds when last asked (chart_seconds)
        self.client = None  # the kernel client, kept open between notebooks
        self.start()

    def start(self) -> None:
        """Start (or restart) the kernel and import what the notebooks need."""
        self.stop()
        self.charts = 0.0
        folder = Path(self.scratch) if self.scratch else None
        connection = (
            folder or Path(os.environ.get("TMPDIR", "/tmp"))
        ) / f"kernel-{os.getpid()}-{time.monotonic_ns()}.json"
        self.manager = AsyncKernelManager(
            kernel_name="python3", transport=transport_for(connection), connection_file=str(connection)
        )
        env = {**os.environ, "PYTHONWARNINGS": "ignore::DeprecationWarning"}
        run_sync(self.manager.start_kernel)(cwd=str(self.cwd), env=env, extra_arguments=KERNEL_OPTIONS)
        shared = folder / SHARED if folder else None
        load = f"\nsapa_model.analysis.memo.load_results({str(shared)!r})" if shared and shared.exists() else ""
        self._run(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(WARM_UP + load)]), START_UP_TIMEOUT)

    @property
    def pid(self) -> int | None:
        """The kernel's process id (None when no kernel runs)."""
        process = getattr(getattr(self.manager, "provisioner", None), "process", None)
        return getattr(process, "pid", None)

    def stop(self) -> None:
        """Shut the kernel down and remove its connection files."""
        with contextlib.suppress(Exception):
            if self.client is not None:
                self.client.stop_channels()
        with contextlib.suppress(Exception):
            if self.manager is not None and self.manager.has_kernel:
                run_sync(self.manager.shutdown_kernel)(now=True)
        if self.manager is not None:
            with contextlib.suppress(Exception):
                run_sync(self.manager.cleanup_resources)()
        self.manager = self.client = None

    def _run(self, notebook: nbformat.NotebookNode, timeout: float | None = None) -> nbformat.NotebookNode:
        client = _Client(
            notebook,
            km=self.manager,
            timeout=timeout or self.timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(self.cwd)}},
            store_widget_state=False,
            log=_quiet,
        )
        client.kc = self.client  # set after construction: NotebookClient.__init__ clears it
        result = client.execute()
        self.client = client.kc
        return result

    def cpu_seconds(self) -> float:
        """CPU seconds the kernel process has used so far (0 where /proc does not tell)."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    def chart_seconds(self) -> float:
        """Seconds the kernel has spent turning charts into HTML since this was last asked, or since it started
        (views.render.chart_seconds): one round trip per report."""
        code = "from sapa_model.views.render import chart_seconds\nprint(chart_seconds())"
        cell = self._run(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])).cells[0]
        total = float("".join(o.get("text", "") for o in cell.outputs) or 0)
        spent, self.charts = total - self.charts, total
        return spent

    def execute(self, path: Path, parameters: dict) -> nbformat.NotebookNode:
        """Run a notebook with papermill's parameter injection on a clean namespace, its code cells in one request
        (cells.run: one round trip, not one per cell), each cell given back its own outputs and timing; a failure
        restarts the kernel."""
        notebook = parameterize_notebook(load_notebook_node(str(path)), parameters)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        sources = [RESET, *(cell.source for cell in code)]
        request = nbformat.v4.new_code_cell(f"__import__('sapa_model.report.cells', fromlist=['run']).run({sources!r})")
        try:
            self._run(nbformat.v4.new_notebook(cells=[request]))
        except BaseException:
            if not _stopping.is_set():
                self.start()  # a failed or timed-out notebook may leave the kernel busy or broken
            raise
        finally:
            if _worker is self:
                install_signal_handlers()
        _give_back(request.outputs, [nbformat.v4.new_code_cell(RESET), *code])
        return notebook


def _give_back(outputs: list, cells: list) -> None:
    """Share the outputs of a cells.run request among the cells it ran, at its markers, and give each cell the
    times its marker and the next one were made (as nbclient times a cell)."""
    marks, number = [], -1
    for output in outputs:
        if MARK in output.get("data", {}):
            marks.append(output["data"][MARK])
            number = marks[-1]["cell"]
        elif 0 <= number < len(cells):
            cells[number].outputs.append(output)
    for cell, (begun, ended) in zip(cells, itertools.pairwise(mark["at"] for mark in marks)):
        cell.metadata["execution"] = {"iopub.execute_input": begun, "shell.execute_reply": ended}


_worker: WarmKernel | None = None
_stopping = threading.Event()


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
    _stopping.set()
    if _worker is not None:
        pid = _worker.pid
        with contextlib.suppress(Exception):
            _worker.stop()
        if pid:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
    os._exit(1)


def install_signal_handlers() -> None:
    """SIGTERM (a forced stop) shuts this worker's kernel down first. (nbclient replaces the handler while
    a notebook runs, so it is installed again after each one.)"""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_and_exit)


def _watch_build(build: int) -> None:
    """Stop the kernel and exit as soon as the build's process is gone, however it ended (SIGKILL too). The
    build's own process is watched, not this worker's parent: that is the multiprocessing forkserver, which
    stays while any worker runs, so it would never go first."""
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


def start_worker(cwd: str, timeout: float, scratch: str = "", build: int = 0) -> None:
    """Process-pool initializer: one warm kernel per worker, shut down when the worker is told to stop or
    the build (process `build`, default: the parent) goes away."""
    global _worker
    import warnings

    from ..errors import ParameterExtrapolationWarning

    warnings.simplefilter("ignore", ParameterExtrapolationWarning)  # the reports list them instead
    # Leave the terminal's process group: Ctrl-C goes to the main process only, which then lets this
    # worker finish its current report and stop its kernel cleanly.
    os.setpgrp()
    if scratch:  # the worker's and its kernel's own output goes to a log beside them, not to the terminal
        log = os.open(Path(scratch) / f"worker-{os.getpid()}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
    install_signal_handlers()
    threading.Thread(target=_watch_build, args=(build or os.getppid(),), daemon=True).start()
    _worker = WarmKernel(Path(cwd), timeout, Path(scratch) if scratch else None)
    import multiprocessing.util

    multiprocessing.util.Finalize(None, _worker.stop, exitpriority=10)


def memory_limit_note() -> str:
    """Why a kernel or worker most likely died when this process runs under a memory limit of its own (ulimit -v
    or -d, which workers and kernels inherit): a clause to add to the message, or '' without such a limit."""
    for limit, option in ((resource.RLIMIT_AS, "-v"), (resource.RLIMIT_DATA, "-d")):
        soft, _ = resource.getrlimit(limit)
        if soft != resource.RLIM_INFINITY:
            return (
                f"; most likely it ran out of memory under the limit of {soft / 2**30:.1f} GB set with "
                f"ulimit {option}, too little for a Jupyter kernel with the model loaded (raise it, or remove it)"
            )
    return ""


def worker() -> WarmKernel:
    """This process's warm kernel."""
    if _worker is None:
        raise ReportError("start_worker() was not called in this process")
    return _worker


def kill_kernels_of(scratch: Path) -> int:
    """Kill every process whose command line names a file in the build's scratch folder (its kernels, should
    any outlive their worker); return how many."""
    killed = 0
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if str(scratch) in (proc / "cmdline").read_bytes().decode(errors="replace"):
                os.kill(int(proc.name), signal.SIGKILL)
                killed += 1
        except (OSError, ValueError):
            continue
    return killed
