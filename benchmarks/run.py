"""Benchmark: compute speed, the full report build, and the naive way for comparison.

Run with `make benchmark` (or `.venv/bin/python benchmarks/run.py [--sample N] [--skip-build]`).
Prints its figures; targets: compute in milliseconds, 10 000 Monte Carlo draws in about a second,
the full build (98 municipal + national reports) under 60 seconds on a 2-core machine, and the whole site built
with --shared-assets (reports, exports, index, assets) under 15 MB.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def timed(function, repeat: int) -> float:
    """Median seconds of `repeat` calls."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def megabytes(folder: Path, pattern: str = "*") -> float:
    """The size of the files under a folder matching a pattern, in MB."""
    return sum(p.stat().st_size for p in folder.rglob(pattern) if p.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sample", type=int, default=3, help="reports built the naive way (default 3)")
    parser.add_argument("--skip-build", action="store_true", help="only the compute figures")
    args = parser.parse_args()

    import sapa_model
    from sapa_model.errors import ParameterExtrapolationWarning
    from sapa_model.engine import risk

    warnings.simplefilter("ignore", ParameterExtrapolationWarning)
    sapa_model.compute()
    print("== Computation ==")
    print(f"compute(): 98 municipalities x 12 years, both models, 4 components: "
          f"{1000 * timed(sapa_model.compute, 30):.1f} ms (median of 30)")
    print(f"compute() with a scenario file: "
          f"{1000 * timed(lambda: sapa_model.compute(ROOT / 'scenarios/knee_100000.yaml'), 30):.1f} ms")
    print(f"Risk of the whole bill, 10 000 delay draws per wave x 98 x 12 years, both models: "
          f"{timed(lambda: risk(draws=10_000), 3):.2f} s (target: a few seconds at most)")

    from sapa_model.app.explorer import Explorer

    explorer = Explorer()
    values = iter([100_000, 150_000] * 20)
    knee = explorer.sliders["sapa.knee.threshold"]
    delay = explorer.delays["ky"]
    print(f"explorer, one slider change (recompute all 98 and redraw every output): "
          f"knee {1000 * timed(lambda: setattr(knee, 'value', next(values)), 20):.0f} ms, "
          f"delay {1000 * timed(lambda: setattr(delay, 'value', (delay.value + 1) % 36), 20):.0f} ms "
          f"(target: well under 100 ms)")
    if args.skip_build:
        return

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "reports"
        print("\n== Full build: sapa reports (warm kernels, 2 workers) ==")
        started = time.perf_counter()
        result = subprocess.run([str(BIN / "sapa"), "reports", "--out", str(out), "--quiet"], cwd=ROOT,
                                capture_output=True, text=True)
        full = time.perf_counter() - started
        count = len(list(out.rglob("*.html"))) - 1  # without index.html
        if result.returncode:
            print(result.stderr)
        print(f"{count} reports + index + exports in {full:.1f} s: {full / count:.2f} s per report "
              f"({'under' if full < 60 else 'OVER'} the 60 s target); {megabytes(out):.1f} MB, each report one "
              f"file that can be e-mailed")
        site = Path(folder) / "site"
        subprocess.run([str(BIN / "sapa"), "reports", "--out", str(site), "--quiet", "--shared-assets"], cwd=ROOT,
                       check=True, capture_output=True)
        size = megabytes(site)
        print(f"the same with --shared-assets (for a web server): {size:.1f} MB "
              f"({'under' if size < 15 else 'OVER'} the 15 MB target), of which reports "
              f"{megabytes(site, '*.html'):.1f} MB, exports {megabytes(site, '*.csv') + megabytes(site, '*.xlsx'):.1f} "
              f"MB, chart library and style {megabytes(site / 'assets'):.1f} MB")

        print(f"\n== Naive way, sample of {args.sample}: a fresh papermill + jupyter nbconvert process per report ==")
        names = ["Aarhus", "Læsø", "Høje-Taastrup", "Odense", "Esbjerg"][: args.sample]
        per_report = []
        for name in names:
            executed = Path(folder) / f"{name}.ipynb"
            started = time.perf_counter()
            subprocess.run([str(BIN / "papermill"), "notebooks/kommune_budget.ipynb", str(executed), "-p", "kommune",
                            name, "--no-progress-bar"], cwd=ROOT, check=True, capture_output=True)
            subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
                           cwd=ROOT, check=True, capture_output=True)
            per_report.append(time.perf_counter() - started)
            print(f"  {name}: {per_report[-1]:.1f} s")
        naive = statistics.mean(per_report)
        print(f"naive: {naive:.1f} s per report, projected {naive * count:.0f} s for {count} reports "
              f"(sequential); this build: {full / count:.2f} s per report, {naive * count / full:.0f}x faster")


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
