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
    from sapa_model import params

    params._warned.clear()
    yield
