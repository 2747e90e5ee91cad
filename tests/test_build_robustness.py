"""The report build under attack: signals, dying workers, two builds in one folder, bad options."""

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import ROOT
from reports_fixture import EPOCH, sapa
from sapa_model.errors import ReportError
from sapa_model.report.build import OutputLock, _stale_files, clean_message

SMALL = ["--kommune", "Læsø", "--kommune", "Ærø", "--kommune", "Samsø", "--kommune", "Fanø"]


def _start(out: Path, tmp: Path, *args: str) -> subprocess.Popen:
    """A build in a session of its own, with its own TMPDIR (its scratch folder lives there)."""
    return subprocess.Popen([sys.executable, "-m", "sapa_model.cli", "reports", "--out", str(out), "--quiet", *args],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "TMPDIR": str(tmp)},
                            start_new_session=True)


def _processes(marker: str) -> list[int]:
    """Processes whose command line or session shows they belong to a build (its TMPDIR or session id)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
            if marker in cmdline and int(proc.name) != os.getpid():
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def _session(sid: int) -> list[int]:
    return [int(p.name) for p in Path("/proc").glob("[0-9]*") if _sid(p) == sid]


def _sid(proc: Path) -> int | None:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[3])
    except (OSError, IndexError, ValueError):
        return None


def _wait_for(predicate, seconds: float, what: str):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _workers(tmp: Path) -> list[int]:
    """The build's workers that run (each has its log in the build's scratch folder from its start)."""
    pids = [int(log.stem.split("-")[1]) for log in tmp.glob("sapa-build-*/worker-*.log")]
    return [pid for pid in pids if Path(f"/proc/{pid}").exists()]


def test_sigterm_stops_everything_at_once_and_leaves_nothing(tmp_path_factory):
    out, tmp = tmp_path_factory.mktemp("out"), tmp_path_factory.mktemp("tmp")
    build = _start(out, tmp, *SMALL, "--jobs", "2")
    _wait_for(lambda: len(_workers(tmp)) == 2, 90, "two workers")
    started = time.time()
    build.send_signal(signal.SIGTERM)  # to the build's process only, as `timeout` does
    _, stderr = build.communicate(timeout=120)
    assert build.returncode == 143 and "SIGTERM" in stderr and "Traceback" not in stderr
    assert time.time() - started < 60 and not (out / "index.html").exists()  # not after the reports in progress
    _wait_for(lambda: not _session(build.pid) and not _processes(str(tmp)), 60, "the workers to stop")
    assert not list(out.rglob("*.partial")) and not list(tmp.iterdir())  # no scratch folder left in TMPDIR


def test_sigkill_of_the_build_takes_workers_forkserver_and_tracker_along_and_the_next_build_cleans_up(
    tmp_path_factory,
):
    out, tmp = tmp_path_factory.mktemp("out"), tmp_path_factory.mktemp("tmp")
    build = _start(out, tmp, *SMALL, "--jobs", "2")
    _wait_for(lambda: len(_workers(tmp)) == 2, 90, "two workers")
    assert any("forkserver" in Path(f"/proc/{p}/cmdline").read_text() for p in _session(build.pid))
    os.kill(build.pid, signal.SIGKILL)  # no handler runs: the workers must notice by themselves
    build.wait(timeout=30)
    _wait_for(lambda: not _session(build.pid) and not _processes(str(tmp)), 60,
              "workers, forkserver and resource tracker to stop")
    assert list(tmp.glob("sapa-build-*"))  # the dead build's scratch folder is still there
    (out / "kommuner").mkdir(exist_ok=True)
    stale = out / "kommuner" / f".825-laesoe.html.{build.pid}.partial"  # as a write cut off by the kill leaves it
    stale.write_text("half a report")
    live = out / "kommuner" / f".999-anden.html.{os.getpid()}.partial"  # a file a running process is writing
    live.write_text("being written")
    again = _start(out, tmp, "--kommune", "Læsø", "--timeout", "0.01")
    again.communicate(timeout=300)
    assert not stale.exists() and live.exists()  # the dead build's partial file is removed, a live one is not
    assert not list(tmp.glob("sapa-build-*"))  # and its scratch folder


def test_a_killed_worker_is_replaced_and_the_build_goes_on(tmp_path_factory):
    out, tmp = tmp_path_factory.mktemp("out"), tmp_path_factory.mktemp("tmp")
    build = _start(out, tmp, *SMALL, "--jobs", "1")
    note = _wait_for(lambda: list(tmp.glob("sapa-build-*/running-*")), 90, "a report to start")[0]
    os.kill(int(note.name.split("-")[1]), signal.SIGKILL)
    _, stderr = build.communicate(timeout=300)
    assert build.returncode == 1, stderr
    # Noticed at once: the report fails because its worker died, not because it ran out of its time limit.
    assert "1 rapport fejlede" in stderr and "worker process died" in stderr and "time limit" not in stderr
    assert len(list((out / "kommuner").glob("*.html"))) == 3 and (out / "index.html").is_file()
    _wait_for(lambda: not _session(build.pid), 15, "the workers to stop")


def test_a_second_build_into_the_same_folder_is_refused_naming_it(tmp_path):
    with OutputLock(tmp_path):
        result = sapa("reports", "--out", str(tmp_path), "--quiet", "--kommune", "Læsø")
    assert result.returncode == 2 and str(tmp_path) in result.stderr and "another build" in result.stderr
    assert "process" in result.stderr and not (tmp_path / "kommuner").exists()
    with OutputLock(tmp_path), pytest.raises(ReportError), OutputLock(tmp_path):
        pass


def test_a_build_cleans_only_its_own_temporary_files_and_lists_older_reports(tmp_path):
    others = tmp_path / "kommuner" / ".101-koebenhavn.html.otherbuild.partial"
    older = tmp_path / "kommuner" / "101-koebenhavn.html"
    others.parent.mkdir(parents=True)
    others.write_text("another build's half-written file")
    older.write_text("from an earlier build")
    result = sapa("reports", "--out", str(tmp_path), "--quiet", "--kommune", "Læsø", "--timeout", "0.01")
    assert result.returncode == 1
    assert others.exists()  # not this build's to remove
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "Ældre filer i mappen" in index and "kommuner/101-koebenhavn.html" in index
    assert "took longer than the time limit of 0.01 s" in result.stderr and "---" not in result.stderr
    assert "\x1b" not in result.stderr + index and "Traceback" not in result.stderr


def test_a_full_build_removes_only_earlier_reports_and_exports_it_did_not_write_again(tmp_path):
    produced = {"kommuner/825-laesoe.html", "kommuner/825-laesoe.xlsx", "exports/sapa-budget-2027.csv"}
    earlier = ["exports/sapa-budget-2026.csv", "kommuner/101-koebenhavn-aar.csv", "kommuner/101-koebenhavn.html",
               "national/udgifter-nordjylland.html"]  # from another run: another budget year, a failed report
    users = [f"{folder}/{name}" for folder in ("exports", "kommuner", "national")
             for name in ("mine.txt", "notes.docx", "keep.pdf", "999-other.html", "sapa-budget-x.csv")]
    for name in [*produced, *earlier, *users]:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("x")
    assert sorted(_stale_files(tmp_path, produced, prune=False)) == sorted(earlier)  # listed in the index
    assert _stale_files(tmp_path, produced, prune=True) == []
    left = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert left == sorted([*produced, *users])  # the user's own files are all still there


def test_error_messages_are_one_plain_line():
    assert clean_message("\x1b[0;31mValueError\x1b[0m: bad\n-----------\n") == "ValueError: bad"
    assert clean_message("Traceback (most recent call last):\n  File x\nKeyError: 'a'") == "KeyError: 'a'"
    assert len(clean_message("x" * 5000)) == 300


@pytest.mark.parametrize("args,message", [
    (["--timeout", "nan"], "must be a number of seconds above 0"),
    (["--timeout", "inf"], "must be a number of seconds above 0"),
    (["--timeout", "-3"], "must be a number of seconds above 0"),
    (["--jobs", "²"], "is not a whole number"),
    (["--budget-year", "٢٠٢٨"], "is not a whole number"),
    (["--budget-year", "2028.5"], "is not a whole number"),
    (["--kommune", "⁷⁵¹"], "unknown municipality '⁷⁵¹'"),
    (["--out", ""], "--out is empty"),
    (["--scenario", str(ROOT / "scenarios/knee_100000.yaml"), "--prices", "2027"], "needs a price index"),
])
def test_bad_options_stop_before_any_work_with_a_message(tmp_path, args, message):
    result = sapa("reports", "--quiet", *(["--out", str(tmp_path / "out")] if "--out" not in args else []), *args,
                  cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists() and not list(tmp_path.iterdir())


def test_an_unwritable_output_folder_is_named(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = sapa("reports", "--quiet", "--out", str(blocker / "below"), "--kommune", "Læsø")
    assert result.returncode == 2 and "cannot write to" in result.stderr and "Traceback" not in result.stderr
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "index.html").mkdir()
    result = sapa("reports", "--quiet", "--out", str(tmp_path / "out"), "--kommune", "Læsø")
    assert result.returncode == 2 and "index.html is in the way" in result.stderr


def test_the_same_municipality_given_three_ways_is_built_once(tmp_path):
    result = sapa("reports", "--out", str(tmp_path), "--quiet", "--kommune", "Aarhus", "--kommune", "751",
                  "--kommune", "Århus")
    assert result.returncode == 0, result.stderr
    assert "1 rapporter bygget" in result.stderr


UNDER_A_LIMIT = """
import resource, sys
from sapa_model.report.workers import memory_limit_note
if sys.argv[1] == "limit":
    resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, resource.RLIM_INFINITY))
print(repr(memory_limit_note()))
"""


@pytest.mark.parametrize("limit", ["limit", "none"])
def test_a_worker_that_dies_under_a_memory_limit_names_the_limit(tmp_path, limit):
    result = subprocess.run([sys.executable, "-c", UNDER_A_LIMIT, limit], capture_output=True, text=True, cwd=ROOT,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    note = eval(result.stdout.strip().splitlines()[-1])
    if limit == "limit":
        assert note == ("; most likely it ran out of memory under the limit of 3.0 GB set with ulimit -v, too little "
                        "for a report worker with the model loaded (raise it, or remove it)")
    else:
        assert note == ""


def test_the_longest_temporary_folder_the_workers_allow_builds_and_one_byte_more_is_named():
    from sapa_model.report.build import LONGEST_TMPDIR

    with tempfile.TemporaryDirectory(dir="/tmp") as short:  # pytest's own folders may be longer than the limit
        _builds_in_a_long_temporary_folder(Path(short), LONGEST_TMPDIR)


def _builds_in_a_long_temporary_folder(tmp_path: Path, most: int) -> None:
    """The longest TMPDIR the workers' forkserver socket allows builds; one byte more is named before any work."""
    longest = tmp_path / ("t" * (most - len(str(tmp_path)) - 1))
    longest.mkdir()
    out = tmp_path / "out"
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    result = subprocess.run([sys.executable, "-m", "sapa_model.cli", "reports", "--out", str(out), "--quiet",
                             "--kommune", "Læsø"], cwd=ROOT, capture_output=True, text=True,
                            env={**env, "TMPDIR": str(longest)}, timeout=300)
    assert len(str(longest)) == most and result.returncode == 0, result.stderr
    assert (out / "kommuner/825-laesoe.html").is_file() and not list(longest.iterdir())
    too_long = Path(str(longest) + "t")
    too_long.mkdir()
    result = subprocess.run([sys.executable, "-m", "sapa_model.cli", "reports", "--out", str(tmp_path / "never"),
                             "--quiet"], cwd=ROOT, capture_output=True, text=True,
                            env={**env, "TMPDIR": str(too_long)}, timeout=300)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert f"(TMPDIR) is {most + 1} bytes long" in result.stderr and f"at most {most}" in result.stderr
    assert not (tmp_path / "never").exists()


def test_each_cell_gets_its_own_outputs_on_a_fresh_namespace_and_the_first_failing_cell_stops_its_notebook(
    tmp_path,
):
    """The worker's shell: each cell's prints, displays and last value land in that cell, as a kernel sends them
    (display_data, then execute_result), a cell ending in ';' shows nothing, the namespace is fresh for each
    notebook, and the first failing cell stops the notebook with its own error (the cells after it do not run)."""
    import nbformat

    from notebook_runner import in_a_worker

    def notebook(*sources: str) -> tuple[Path, dict, Path]:
        path = tmp_path / f"n{len(list(tmp_path.iterdir()))}.ipynb"
        cells = [nbformat.v4.new_code_cell(s) for s in sources]
        spec = {"name": "python3", "language": "python", "display_name": "Python 3"}
        nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": spec}), path)
        return path, {}, path.with_suffix(".out")

    done, fresh, failed = in_a_worker(
        notebook("x = 2\nprint('one')\nprint('two', end='')", "from IPython.display import display\ndisplay(x)\nx + 1",
                 "x * 10;", "import sys\nprint('four')\nprint('warned', file=sys.stderr)\nprint('')"),
        notebook("print(x)"),  # a fresh namespace: x is gone
        notebook("y = 1", "raise ValueError('cell two')", "print('never')"),
    )
    exited, after, tables = in_a_worker(
        notebook("import sys\nsys.exit(0)"),  # fails its report only: the worker goes on
        notebook("import sys\nprint(hasattr(sys, 'last_value'))"),  # the failed notebook's error is not kept
        notebook("import pandas as pd\nprint(pd.get_option('display.max_columns'), pd.get_option('display.width'))"),
    )
    cells = done.cells[-4:]  # after the cell papermill injects
    outputs = [[o.get("text") or o["data"]["text/plain"] for o in cell.outputs] for cell in cells]
    assert outputs == [["one\ntwo"], ["2", "3"], [], ["four\n", "warned\n", "\n"]]
    assert [o.output_type for o in cells[1].outputs] == ["display_data", "execute_result"]
    assert [o.get("name") for o in cells[3].outputs] == ["stdout", "stderr", "stdout"]
    assert all("shell.execute_reply" in cell.metadata["execution"] for cell in done.cells)
    assert fresh == ["NameError", "name 'x' is not defined"]
    assert failed == ["ValueError", "cell two"]
    assert exited == ["ReportError", "the notebook stopped with SystemExit: 0"]
    assert after.cells[-1].outputs[0]["text"] == "False\n"
    assert tables.cells[-1].outputs[0]["text"] == "20 80\n"  # pandas shows tables as in a Jupyter kernel


SWALLOWED = """
import sys, time
from pathlib import Path
import nbformat
from sapa_model.report.workers import ReportTimeout, WarmShell, time_limit
slow = nbformat.v4.new_code_cell(
    "import time\\nfrom IPython.display import display\\nclass Slow:\\n    def _repr_html_(self):\\n"
    "        time.sleep(3)\\n        return 'late'\\ntry:\\n    display(Slow())\\nexcept Exception:\\n    pass\\n"
    "print('went on')")
spec = {"name": "python3", "language": "python", "display_name": "Python 3"}
nbformat.write(nbformat.v4.new_notebook(cells=[slow], metadata={"kernelspec": spec}), sys.argv[1])
shell = WarmShell(Path.cwd())
started = time.monotonic()
try:
    with time_limit(0.3):
        shell.execute(Path(sys.argv[1]), {})
    print("no time limit")
except ReportTimeout as stop:
    print(f"stopped after {time.monotonic() - started:.1f} s: {stop}")
"""


def test_the_time_limit_cannot_be_swallowed_by_a_display_or_an_except_clause(tmp_path):
    """IPython's display formatters catch a failing representation's Exception and go on; the time limit is no
    Exception, so it stops the notebook there, within the second."""
    result = subprocess.run([sys.executable, "-c", SWALLOWED, str(tmp_path / "slow.ipynb")], capture_output=True,
                            text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    said = result.stdout.strip().splitlines()[-1]
    assert said.startswith("stopped after ") and said.endswith("took longer than the time limit of 0.3 s"), said
    assert float(said.split()[2]) < 3  # not after the slow display had finished


def test_a_temporary_file_is_named_after_the_process_that_writes_it(tmp_path):
    """A report worker is forked after the package is imported: its temporary files must carry its own process id
    (not its forkserver's, which outlives it), so the build can remove what a stopped worker left."""
    from sapa_model.files import atomic_path, remove_partials

    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the worker: names its file, then dies before finishing it
        with atomic_path(tmp_path / "x.txt") as temporary:
            temporary.write_text("half")
            os.write(write, temporary.name.encode())
            os._exit(0)
    os.waitpid(child, 0)
    assert os.read(read, 200).decode() == f".x.txt.{child}.partial"
    assert remove_partials(tmp_path) == 1 and not list(tmp_path.iterdir())


STUCK = """
import sys, warnings
from pathlib import Path
import nbformat
from sapa_model.report import build
warnings.simplefilter("ignore")
folder = Path(sys.argv[1])
spec = {"name": "python3", "language": "python", "display_name": "Python 3"}
cell = nbformat.v4.new_code_cell("import signal, time\\nsignal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])\\n"
                                 "time.sleep(60)")  # as a call that never returns to Python: the alarm cannot act
nbformat.write(nbformat.v4.new_notebook(cells=[cell], metadata={"kernelspec": spec}), folder / "stuck.ipynb")
build.OVERDUE_GRACE = 1.0
job = build.Job(str(folder / "stuck"), {}, "stuck.html", "Stuck")
outcome, = build.build(folder / "out", [job], build.Settings(budget_year=2027), workers=1, timeout=8, progress=False)
print(outcome.error)
"""


def test_a_worker_stuck_past_the_time_limit_is_stopped_by_the_build(tmp_path):
    """The time limit acts inside the worker only between Python steps; a report stuck beyond it (here with the
    alarm blocked) is stopped by the build a grace period later, and fails for the time limit."""
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", STUCK, str(tmp_path)], capture_output=True, text=True, cwd=ROOT,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    # 8 s: time for the worker to reach the cell on a busy machine (before it, the worker's own alarm would act)
    assert result.stdout.strip().splitlines()[-1] == "took longer than the time limit of 8 s and its worker was stopped"
    assert 8 + 1 <= time.monotonic() - started < 50  # not before the limit and its grace, nor after the minute
    assert not (tmp_path / "out" / "stuck.html").exists()
