"""Shared test set-up: Jupyter and Chromium write into a temporary home, never the user's."""

import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

_home = Path(tempfile.mkdtemp(prefix="sapa-test-home-"))
for variable in ("JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "MPLCONFIGDIR"):
    os.environ.setdefault(variable, str(_home / variable.lower()))


@pytest.fixture(autouse=True)
def _fresh_parameter_warnings():
    """Each test sees the 'past its last value' warnings anew."""
    from sapa_model.parameters import loader as params

    params._warned.clear()
    yield


@pytest.fixture(scope="session")
def built_reports(tmp_path_factory):
    """The national reports and three municipalities' reports, built once with `sapa reports`."""
    from reports_fixture import build_subset

    out = tmp_path_factory.mktemp("reports")
    result = build_subset(out)
    assert result.returncode == 0, result.stderr
    return out
