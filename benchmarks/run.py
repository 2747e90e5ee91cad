"""Benchmark: compute and risk, the explorer, the full report build and where its time goes, and the naive way.

Run with `make benchmark` (or `.venv/bin/python benchmarks/run.py [--sample N] [--skip-build]`). Every figure is
printed beside its target; one that misses it is marked OVER TARGET. The targets (issue 22, on a 2-core machine):
compute() within 2x of its arithmetic (engine.run), risk() and outlook() at 10 000 draws under 1 s each, the full build of every
report under 30 s and at least 40x faster than the naive way (a fresh papermill + jupyter nbconvert process per
report) measured in the same run, the site built with --shared-assets under 15 MB, the explorer's Python
work per slider change under 100 ms, and (issue 21) the served explorer repainting within 150 ms of a slider move in
Chromium.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TARGETS = {
    "compute / arithmetic": 2.0,  # x
    "risk, 10 000 draws": 1.0,  # s
    "outlook, 10 000 draws": 1.0,  # s
    "explorer slider change": 0.100,  # s
    "explorer slider to repaint in Chromium": 0.150,  # s, median (issue 21)
    "full build": 30.0,  # s
    "naive / full build": 40.0,  # x, at least
    "site with --shared-assets": 15.0,  # MB
}


def timed(function, repeat: int) -> float:
    """Median seconds of `repeat` calls."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def verdict(name: str, value: float, at_least: bool = False) -> str:
    """'target ...: met' or 'target ...: OVER TARGET', for a figure and its target in TARGETS."""
    target = TARGETS[name]
    met = value >= target if at_least else value < target
    sign = ">=" if at_least else "<"
    return f"[target {sign} {target:g}: {'met' if met else 'OVER TARGET'}]"


def megabytes(folder: Path, pattern: str = "*") -> float:
    """The size of the files under a folder matching a pattern, in MB."""
    return sum(p.stat().st_size for p in folder.rglob(pattern) if p.is_file()) / 1e6


def computation() -> None:
    import sapa_model
    from sapa_model import engine
    from sapa_model.errors import ParameterExtrapolationWarning
    from sapa_model.app.explorer import Explorer

    warnings.simplefilter("ignore", ParameterExtrapolationWarning)
    sapa_model.compute()
    print("== Computation ==")
    arithmetic = timed(engine.run, 30)
    whole = timed(sapa_model.compute, 30)
    ratio = whole / arithmetic
    print(f"compute(): 98 municipalities x 12 years, both models, 4 components, with provenance: {1000 * whole:.1f} ms; "
          f"its arithmetic (engine.run) {1000 * arithmetic:.1f} ms: {ratio:.1f}x "
          f"{verdict('compute / arithmetic', ratio)} (medians of 30)")
    print(f"compute() with a scenario file: "
          f"{1000 * timed(lambda: sapa_model.compute(ROOT / 'scenarios/knee_100000.yaml'), 30):.1f} ms")
    seconds = timed(lambda: engine.risk(draws=10_000), 3)
    print(f"risk() of the whole bill, 10 000 delay draws x 98 x 12 years, both models: {seconds:.2f} s "
          f"{verdict('risk, 10 000 draws', seconds)} (median of 3)")
    budget_year = engine.first_billing_year(sapa_model.baseline()) + 8  # a budget year whose population is projected
    seconds = timed(lambda: sapa_model.outlook(budget_year=budget_year, draws=10_000), 3)
    print(f"outlook() of the budget year {budget_year} and its overslagsår, 10 000 draws of population, prices and "
          f"P/L x 98: {seconds:.2f} s {verdict('outlook, 10 000 draws', seconds)} (median of 3)")

    explorer = Explorer()
    values = iter([100_000, 150_000] * 20)
    knee = explorer.sliders["sapa.knee.threshold"]
    delay = explorer.delays["ky"]
    knee_change = timed(lambda: setattr(knee, "value", next(values)), 20)
    delay_change = timed(lambda: setattr(delay, "value", (delay.value + 1) % 36), 20)
    worst = max(knee_change, delay_change)
    print(f"explorer, one slider change in Python (recompute all 98, redraw the summary and the open tab): knee "
          f"{1000 * knee_change:.0f} ms, delay {1000 * delay_change:.0f} ms {verdict('explorer slider change', worst)}")
    repaint = browser_repaint()
    print(f"explorer in the browser (sapa explore, Chromium): a knee slider moved with the keyboard to the results "
          f"repainted: median {1000 * statistics.median(repaint):.0f} ms, slowest {1000 * max(repaint):.0f} ms of "
          f"{len(repaint)} moves {verdict('explorer slider to repaint in Chromium', statistics.median(repaint))}")


def browser_repaint(moves: int = 10) -> list[float]:
    """Seconds from a slider move to the repainted results in the served explorer, in Chromium (as the browser
    test drives it: tests/explorer_page.py)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import CHROMIUM, FLAGS
    from explorer_page import move_knee, open_page, serve
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder, serve(env={**os.environ, "SAPA_SCENARIO_DIR": folder}) as (_, port):
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page, _, _ = open_page(browser, port)
            move_knee(page)  # the first move warms the kernel's caches
            times = []
            for _ in range(moves):
                times.append(move_knee(page) / 1000)
                time.sleep(0.2)
            browser.close()
    return times


def where_the_time_went(path: Path) -> None:
    """The build's phases, each kind of report's stages (median per report, and in all), and the municipal
    report's slowest cells, from the timings the build wrote (SAPA_BUILD_TIMINGS)."""
    timings = json.loads(path.read_text(encoding="utf-8"))
    print("  the build's phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings["phases"].items()))
    from sapa_model.report.build import STAGES as stages
    print(f"  {'per report (median s)':<24}" + "".join(f"{s:>11}" for s in stages))
    by_notebook = defaultdict(list)
    for report in timings["reports"]:
        by_notebook[report["notebook"]].append(report)
    for notebook, reports in sorted(by_notebook.items(), key=lambda item: -len(item[1])):
        medians = [statistics.median(r["seconds"].get(s, 0.0) for r in reports) for s in stages]
        print(f"  {f'{notebook} ({len(reports)})':<24}" + "".join(f"{m:>11.3f}" for m in medians))
    totals = [sum(r["seconds"].get(s, 0.0) for r in timings["reports"]) for s in stages]
    print(f"  {'all reports (sum s)':<24}" + "".join(f"{t:>11.1f}" for t in totals))
    print("  (notebook: the notebook on the worker's warm shell, of which cells: its cells' own time, of which charts: "
          "Altair to HTML; the rest is papermill's parameters and the reset. cpu: the worker's CPU seconds per report, "
          "the work; two workers share 2 cores.)")
    municipal = by_notebook.get("kommune_budget", [])
    if municipal:
        cells = defaultdict(list)
        for report in municipal:
            for number, (source, seconds) in enumerate(report["cells"]):
                cells[(number, source)].append(seconds)
        slowest = sorted(cells.items(), key=lambda item: -statistics.median(item[1]))[:5]
        print("  kommune_budget's slowest cells (median s): " + "; ".join(
            f"{statistics.median(s):.3f} {source[:45]!r}" for (_, source), s in slowest))


def build_and_naive(sample: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        out, timings = Path(folder) / "reports", Path(folder) / "timings.json"
        print("\n== Full build: sapa reports (2 workers, each a warm shell) ==")
        started = time.perf_counter()
        result = subprocess.run([str(BIN / "sapa"), "reports", "--out", str(out), "--quiet"], cwd=ROOT,
                                capture_output=True, text=True, env={**os.environ, "SAPA_BUILD_TIMINGS": str(timings)})
        full = time.perf_counter() - started
        count = len(list(out.rglob("*.html"))) - 1  # without index.html
        if result.returncode:
            print(result.stderr)
        print(f"{count} reports + index + exports in {full:.1f} s {verdict('full build', full)}: "
              f"{full / count:.2f} s per report; {megabytes(out):.1f} MB, each report one file that can be e-mailed")
        if timings.exists():
            where_the_time_went(timings)
        site = Path(folder) / "site"
        subprocess.run([str(BIN / "sapa"), "reports", "--out", str(site), "--quiet", "--shared-assets"], cwd=ROOT,
                       check=True, capture_output=True)
        size = megabytes(site)
        print(f"the same with --shared-assets (for a web server): {size:.1f} MB "
              f"{verdict('site with --shared-assets', size)}, of which reports {megabytes(site, '*.html'):.1f} MB, "
              f"exports {megabytes(site, '*.csv') + megabytes(site, '*.xlsx'):.1f} MB, chart library and style "
              f"{megabytes(site / 'assets'):.1f} MB")

        print(f"\n== Naive way, sample of {sample}: a fresh papermill + jupyter nbconvert process per report ==")
        names = ["Aarhus", "Læsø", "Høje-Taastrup", "Odense", "Esbjerg"][:sample]
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
        ratio = naive * count / full
        print(f"naive: {naive:.1f} s per report, projected {naive * count:.0f} s for {count} reports (sequential); "
              f"this build: {full / count:.2f} s per report, {ratio:.0f}x faster {verdict('naive / full build', ratio, True)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sample", type=int, default=3, help="reports built the naive way (default 3)")
    parser.add_argument("--skip-build", action="store_true", help="only the computation figures")
    args = parser.parse_args()
    computation()
    if not args.skip_build:
        build_and_naive(args.sample)


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
