"""The served explorer in Chromium: start `sapa explore`, open it with nothing allowed off the machine, and time a
slider move to the repainted result (for the benchmark; tests only check that it repaints)."""

import contextlib
import socket
import subprocess
import sys
import time

from conftest import ROOT

SUMMARY = ".sapa-summary"
# Records the time from the next key press to the first change of the results that follows it, and a frame
# after that: the moment the reader sees the effect.
WATCH = """() => { window.sapaRepaint = new Promise(done => {
  let start = null;
  addEventListener('keydown', () => { start = start || performance.now(); }, {capture: true, once: true});
  const results = document.querySelector('.sapa-explorer-results');
  new MutationObserver((changes, observer) => {
    if (start === null) return;
    observer.disconnect();
    requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now() - start)));
  }).observe(results, {childList: true, subtree: true, characterData: true});
}); }"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(*options: str, env: dict | None = None):
    """`sapa explore` on a free port until the block ends; yields (process, port)."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "sapa_model.cli", "explore", "--port", str(port), *options],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.3)
        yield server, port
    finally:
        server.terminate()
        server.wait(timeout=30)


def open_page(browser, port: int, query: str = "", width: int = 1280, height: int = 800):
    """The explorer's page with every request that leaves the machine blocked and recorded; returns page, the
    requests blocked and the console errors."""
    context = browser.new_context(viewport={"width": width, "height": height})
    outside, errors = [], []

    def route(r):
        local = r.request.url.startswith((f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"))
        (r.continue_() if local else (outside.append(r.request.url), r.abort()))

    context.route("**/*", route)
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"http://127.0.0.1:{port}/{'?' + query if query else ''}", timeout=90_000)
    page.wait_for_selector(SUMMARY, timeout=120_000)
    return page, outside, errors


def move_knee(page, label: str = "SAPA: knækgrænse (indbyggere)") -> float:
    """Move a slider one step with the keyboard; return the milliseconds until the results repainted."""
    page.evaluate(WATCH)
    page.focus(f'[role=slider][aria-label="{label}"]')
    page.keyboard.press("ArrowLeft")
    return page.evaluate("window.sapaRepaint")
