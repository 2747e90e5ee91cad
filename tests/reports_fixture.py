"""Build a small set of reports once per test session, with the CLI, as a user would."""

import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

SUBSET = ["København", "Læsø", "Høje-Tåstrup"]
EPOCH = "1764288000"  # 2025-11-28: a fixed build date, so two builds can be compared byte for byte


def sapa(*args: str, cwd: Path = ROOT, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    return subprocess.run([sys.executable, "-m", "sapa_model.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def build_subset(out: Path, *extra: str) -> subprocess.CompletedProcess:
    args = ["reports", "--out", str(out), "--quiet", "--national"]
    for name in SUBSET:
        args += ["--kommune", name]
    return sapa(*args, *extra)
