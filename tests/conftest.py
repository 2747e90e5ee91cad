"""Shared test set-up: Jupyter and Chromium write into a temporary home, never the user's."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests check what is computed, never how fast: a loaded machine may take any time per example.
settings.register_profile("sapa", deadline=None)
settings.load_profile("sapa")

ROOT = Path(__file__).resolve().parents[1]

_home = Path(tempfile.mkdtemp(prefix="sapa-test-home-"))
for variable in ("JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "MPLCONFIGDIR"):
    os.environ.setdefault(variable, str(_home / variable.lower()))
# Every build, notebook and kernel of the session makes the chart library once, not once each (seconds apiece).
os.environ.setdefault("SAPA_CHART_LIBRARY_CACHE", str(_home / "chart-library"))


@pytest.fixture(autouse=True)
def _fresh_parameter_warnings():
    """Each test sees the 'past its last value' warnings anew."""
    from sapa_model.parameters import loader as params

    params._warned.clear()
    yield


@pytest.fixture(scope="session")
def built_reports(tmp_path_factory):
    """The national reports and three municipalities' reports, built once with `sapa reports` for the whole run:
    with pytest-xdist the first worker to ask builds them into the run's shared temporary folder and the others
    wait for it and read the same files (the tests only read them)."""
    from filelock import FileLock
    from reports_fixture import build_subset

    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's folder, above each worker's own
    out = shared / "built-reports"
    with FileLock(str(out) + ".lock"):
        if not (out / "index.html").is_file():
            result = build_subset(out)
            assert result.returncode == 0, result.stderr
    return out


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for every browser test of the session (each test opens its own context)."""
    from playwright.sync_api import sync_playwright

    assert shutil.which("chromium"), "the browser test needs Chromium: apt-get install chromium (.ci/run does this)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()
