"""`sapa explore` served to visitors: the Host check, a kernel cap that a burst of page loads cannot pass, kernels
of closed pages and of clients that never connect shut down, a strict CSP, and options checked before serving.

The server tests start `sapa explore` on a free port and always stop it; every wait polls with a generous
deadline, so a loaded machine makes them slower, never wrong."""

import asyncio
import concurrent.futures
import datetime as dt
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
import tornado.web

from conftest import ROOT
from reports_fixture import sapa
from sapa_model.data.tables import MAX_BYTES
from sapa_model.errors import SapaError
from sapa_model.app.serve import (UNCONNECTED_SECONDS, AsyncMappingKernelManager, TemplateFiles, VisitorKernels,
                              content_security_policy, serve)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _kernels_of(server: int) -> int:
    """Kernels the server runs (its ipykernel children)."""
    count = 0
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            if int(stat[1]) == server and b"ipykernel" in (proc / "cmdline").read_bytes():
                count += 1
        except (OSError, IndexError, ValueError):
            continue
    return count


def _wait_for(predicate, seconds: float, what: str):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def _get(url: str, read: bool = False, **headers) -> int:
    """The status of a GET; with `read`, after reading the whole page (else the client leaves after the headers)."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=300) as response:
            if read:
                response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture
def served(tmp_path, monkeypatch):
    """`sapa explore` on a free port with at most one visitor's kernel; its log in a file; always stopped."""
    folder = tmp_path / "scenarios"
    folder.mkdir()
    port, log = _free_port(), tmp_path / "server.log"
    with open(log, "w") as stream:
        server = subprocess.Popen([sys.executable, "-m", "sapa_model.cli", "explore", "--port", str(port),
                                   "--max-kernels", "1", "--idle-minutes", "1"], cwd=ROOT,
                                  stdout=stream, stderr=subprocess.STDOUT,
                                  env={**os.environ, "SAPA_SCENARIO_DIR": str(folder)})
    try:
        def listening():
            assert server.poll() is None, log.read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return True
            except OSError:
                return False

        _wait_for(listening, 90, "the server to listen")
        yield SimpleNamespace(process=server, url=f"http://127.0.0.1:{port}/", port=port, log=log)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)
    _wait_for(lambda: _kernels_of(server.pid) == 0, 30, "the kernels to stop with the server")


def test_serving_checks_the_host_caps_kernels_and_shuts_unconnected_ones_down(served):
    pid = served.process.pid
    assert _get(served.url, Host="attacker.example") == 403 and _kernels_of(pid) == 0  # no kernel for it
    assert _get(served.url, read=True) == 200
    assert _kernels_of(pid) == 1
    assert _get(served.url) == 503  # the cap: one visitor at a time here
    # This client read the whole page but runs no JavaScript, so no page ever connects to its kernel: it is shut
    # down within seconds of going idle (not after --idle-minutes), and the next visitor is served.
    _wait_for(lambda: _kernels_of(pid) == 0, 120, "the unconnected kernel to be shut down")
    assert "no page has been connected to it" in served.log.read_text()
    _wait_for(lambda: _get(served.url, read=True) == 200, 60, "the next visitor to be served")  # a 503 starts nothing


def test_a_visitor_who_leaves_before_the_page_is_complete_frees_the_kernel_at_once(served):
    assert _get(served.url) == 200  # only the headers: the client goes while the notebook still runs
    _wait_for(lambda: "Page left before it was complete" in served.log.read_text(), 120, "the page to be left")
    _wait_for(lambda: _kernels_of(served.process.pid) == 0, 60, "its kernel to stop")
    assert "no page has been connected to it" not in served.log.read_text()  # not the slower culler
    _wait_for(lambda: _get(served.url, read=True) == 200, 60, "the next visitor to be served")


def test_a_burst_of_page_loads_never_starts_more_kernels_than_the_cap(served):
    pid, peak, done = served.process.pid, [0], threading.Event()

    def watch():
        while not done.is_set():
            peak[0] = max(peak[0], _kernels_of(pid))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    statuses: list[int] = []
    loads = [threading.Thread(target=lambda: statuses.append(_get(served.url))) for _ in range(6)]
    for load in loads:
        load.start()
    for load in loads:
        load.join()
    done.set()
    watcher.join()
    assert sorted(statuses) == [200, 503, 503, 503, 503, 503] and peak[0] == 1
    assert served.process.poll() is None and _get(served.url + "voila/templates/lab/static/index.css") == 200


def test_template_paths_outside_the_templates_are_not_found(served):
    for path in ("voila/templates/..%2f..", "voila/templates/lab/static/..%2f..%2f..%2fpage.html",
                 "voila/templates/lab", "voila/templates/%2e%2e/static/x"):
        assert _get(served.url + path) == 404, path
    assert _get(served.url + "voila/templates/lab/static/index.css") == 200


def test_the_served_explorer_works_with_no_network_under_a_strict_csp_and_a_closed_page_frees_its_kernel(
    served, browser
):
    context = browser.new_context()
    try:
        outside, errors, console = [], [], []

        def route(r):
            local = r.request.url.startswith((served.url, f"ws://127.0.0.1:{served.port}"))
            (r.continue_() if local else (outside.append(r.request.url), r.abort()))

        context.route("**/*", route)
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: console.append(m.text))
        response = page.goto(served.url, timeout=120_000)
        policy = response.headers["content-security-policy"]
        assert re.search(r"script-src 'self' 'nonce-[\w-]{20,}'", policy) and "unsafe-inline" not in policy.split(
            "style-src")[0]
        page.wait_for_selector(".sapa-summary", timeout=120_000)  # the results, computed by the kernel
        page.wait_for_selector("text=SAPA: knækgrænse", timeout=60_000)  # the widgets drew: the kernel answers
        assert page.locator("text=SAPA: knækgrænse").count() == 1 and errors == []
        # Only Voilà's optional icon stylesheets are asked for outside; the app works without them.
        assert all("fontawesome" in url for url in outside), outside
        assert not [m for m in console if "Content Security Policy" in m and "script" in m], console
        # An injected inline handler does not run under the page's policy.
        page.evaluate("() => { const i = document.createElement('img'); i.src = 'data:,x';"
                      "i.setAttribute('onerror', 'window.owned = 1'); document.body.appendChild(i); }")
        time.sleep(0.5)
        assert page.evaluate("() => window.owned === undefined")
        # A file larger than the explorer takes is stopped in the browser with a message (sent, it would only
        # break the page's connection, silently); a small one is read and checked by the kernel as before.
        page.get_by_text("Befolkning og år").click()
        with page.expect_file_chooser() as chooser:
            page.get_by_text("Hent prognose op").click()
        chooser.value.set_files({"name": "stor.csv", "mimeType": "text/csv", "buffer": b"x" * (MAX_BYTES + 1)})
        alert = page.locator("#sapa-upload-refused")
        alert.wait_for(state="visible", timeout=30_000)
        assert "stor.csv fylder 5,0 MB; en prognose må højst fylde 5 MB" in alert.inner_text()
        with page.expect_file_chooser() as chooser:
            page.get_by_text("Hent prognose op").click()
        chooser.value.set_files({"name": "lille.csv", "mimeType": "text/csv", "buffer": b"kommune;year\nArhus;2027\n"})
        page.wait_for_selector("text=missing: population", timeout=60_000)  # the kernel's answer, shown
        assert page.locator("#sapa-upload-refused").count() == 0
        _wait_for(lambda: _kernels_of(served.process.pid) == 1, 60, "the visitor's kernel")
        page.close(run_before_unload=True)  # the visitor closes the tab: Voilà's shutdown request is now accepted
        _wait_for(lambda: "Page closed: shutting down its kernel" in served.log.read_text(), 60,
                  "the closed page's shutdown request")
        _wait_for(lambda: _kernels_of(served.process.pid) == 0, 60, "the closed page's kernel to stop")
    finally:
        context.close()
    assert " 403 POST /voila/api/shutdown" not in served.log.read_text()


# -- the same logic driven directly: no server, no clock -------------------------------------------------------


def test_the_cap_counts_kernels_from_the_moment_they_are_asked_for(monkeypatch):
    manager = VisitorKernels(max_kernels=2)
    release = asyncio.Event()

    async def slow_start(self, **kwargs):  # a kernel that takes a while to start, registered when it has
        await release.wait()
        kernel_id = f"k{len(self._kernels)}"
        self._kernels[kernel_id] = SimpleNamespace()
        return kernel_id

    monkeypatch.setattr(AsyncMappingKernelManager, "start_kernel", slow_start)

    async def burst():
        starts = [asyncio.ensure_future(manager.start_kernel(kernel_name="python3")) for _ in range(5)]
        await asyncio.sleep(0)  # every request has been answered or is starting; none has finished
        release.set()
        return await asyncio.gather(*starts, return_exceptions=True)

    with concurrent.futures.ThreadPoolExecutor(1) as thread:  # an event loop of its own (Playwright may run one here)
        results = thread.submit(asyncio.run, burst()).result()
    refused = [r for r in results if isinstance(r, tornado.web.HTTPError)]
    assert len(manager._kernels) == 2 and len(refused) == 3 and all(r.status_code == 503 for r in refused)
    assert manager.full() and manager._starting == 0


def test_a_kernel_with_no_page_connected_is_abandoned_after_the_grace_time_only():
    manager = VisitorKernels()
    now = dt.datetime(2027, 1, 1, 12, tzinfo=dt.UTC)
    idle = lambda seconds: SimpleNamespace(last_activity=now - dt.timedelta(seconds=seconds), execution_state="idle")
    manager._kernels = {"old": idle(UNCONNECTED_SECONDS + 1), "new": idle(UNCONNECTED_SECONDS - 1),
                        "seen": idle(3600), "busy": SimpleNamespace(last_activity=now - dt.timedelta(hours=1),
                                                                    execution_state="busy")}
    manager._kernel_connections = {"old": 0, "new": 0, "seen": 1, "busy": 0}
    assert [k for k in manager._kernels if manager.abandoned(k, now)] == ["old"]
    assert not manager.abandoned("unknown", now)


def test_the_policy_lets_only_the_pages_own_scripts_run():
    policy = dict(part.split(" ", 1) for part in content_security_policy("abc").split("; "))
    assert policy["script-src"] == "'self' 'nonce-abc'" and policy["object-src"] == "'none'"
    assert policy["connect-src"] == "'self'" and policy["default-src"] == "'self'"


@pytest.mark.parametrize("path", ["..%2f..", "lab", "lab/static", "lab/x/y", "lab/static/../../page.html"])
def test_a_template_path_that_is_no_static_file_is_404(path):
    handler = TemplateFiles.__new__(TemplateFiles)
    with pytest.raises(tornado.web.HTTPError) as caught:
        handler.parse_url_path(path.replace("%2f", "/"))
    assert caught.value.status_code == 404


# -- options, checked before anything is served -------------------------------------------------------------


@pytest.mark.parametrize("args,message", [
    (["--idle-minutes", "0.005"], "--idle-minutes must be from 1 to 1440"),
    (["--idle-minutes", "nan"], "is not a finite number"),
    (["--idle-minutes", "2000"], "--idle-minutes must be from 1 to 1440"),
    (["--port", "99999"], "--port 99999 must be a port number from 1 to 65535"),
    (["--port", "0"], "must be a port number from 1 to 65535"),
    (["--host", "not a host"], "--host 'not a host' is not an IP address"),
    (["--host", "192.0.2.77"], "192.0.2.77 is not an address of this machine"),
    (["--max-kernels", "0"], "--max-kernels must be from 1 to 64"),
    (["--max-kernels", "65"], "--max-kernels must be from 1 to 64"),
])
def test_bad_serving_options_stop_with_a_message(args, message):
    result = sapa("explore", *args, timeout=120)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_a_port_in_use_is_named():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = sapa("explore", "--port", str(taken.getsockname()[1]), timeout=120)
    assert result.returncode == 2 and "is in use; choose another with --port" in result.stderr


class _Recorder:
    """Stands in for the Voilà server: records its configuration instead of serving."""

    config = None

    def __init__(self, config):
        _Recorder.config = config

    def initialize(self, argv):
        pass

    def start(self):
        pass


def test_listening_beyond_this_machine_is_warned_about_and_the_settings_reach_voila(monkeypatch, capsys):
    import sapa_model.app.serve as serving

    monkeypatch.setattr(serving, "ExplorerServer", _Recorder)
    serve("0.0.0.0", _free_port(), max_kernels=3, idle_minutes=2.5)
    assert "warning: listening on 0.0.0.0" in capsys.readouterr().err
    config = _Recorder.config
    assert config.VisitorKernels.max_kernels == 3 and config.VisitorKernels.cull_idle_timeout == 150
    assert config.VoilaConfiguration.multi_kernel_manager_class is VisitorKernels
    serve("127.0.0.1", _free_port(), idle_minutes=1)
    assert capsys.readouterr().err == "" and _Recorder.config.VisitorKernels.cull_idle_timeout == 60
    with pytest.raises(SapaError, match="--idle-minutes must be from 1"):
        serve(idle_minutes=0.99)
