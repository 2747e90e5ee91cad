"""Build every HTML report: national analyses and one budget report per municipality, plus exports.

Reports are built in parallel worker processes, each with a warm Jupyter kernel. One failing report
does not stop the others; failures are listed at the end. Files are written atomically, so an
interrupted build leaves no half-written report.
"""

from __future__ import annotations

import concurrent.futures as futures
import html
import multiprocessing
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd

from ..data import datasets
from ..engine import compute, monthly
from ..errors import ReportError
from ..files import remove_partials, slug, write_text
from ..scenarios import Scenario, load_scenario
from ..version import __version__
from ..views import fmt
from ..views.budget import Basis, default_budget_year, express, horizon
from ..views.labels import WAVE
from ..views.presentation import build_date, data_vintage
from . import exports, page
from .kernels import start_worker, time_limit, worker

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"


@dataclass(frozen=True)
class Settings:
    """What every report of one build shares: the scenario (a file path; '' for the baseline), the budget year,
    the budget tables' unit (None: each report's own) and the price level (None: current prices)."""

    scenario: str = ""
    budget_year: int = 0
    unit: int | None = None
    prices: int | None = None

    @property
    def basis(self) -> Basis:
        return Basis(self.unit or 1, self.prices)

    def notebook_parameters(self, notebook: str) -> dict:
        """The parameters every notebook gets from the build (each takes those it declares)."""
        given: dict[str, object] = {"scenario": self.scenario}
        if notebook != "explorer":
            given |= {"budget_year": self.budget_year}
        if notebook in ("kommune_budget", "costs_over_years", "old_vs_new"):
            given |= {"prices": self.prices} | ({"unit": self.unit} if self.unit and notebook != "old_vs_new" else {})
        return given


@dataclass(frozen=True)
class Job:
    """One report to build: which notebook, with which parameters, written where."""

    notebook: str
    parameters: dict
    output: str  # relative to the output folder
    title: str
    code: int | None = None  # the municipality, for its exports


@dataclass
class Outcome:
    job: Job
    error: str = ""
    files: list[str] = field(default_factory=list)


def national_jobs() -> list[Job]:
    """The national reports for KL: old vs new, costs (all of Denmark and per region), the knee discount."""
    jobs = [
        Job("old_vs_new", {}, "national/gammel-mod-ny-model.html", "Gammel og ny afregningsmodel"),
        Job(
            "costs_over_years", {"region": ""}, "national/udgifter-hele-landet.html", "Udgifter over årene, hele landet"
        ),
    ]
    jobs += [
        Job(
            "costs_over_years",
            {"region": region},
            f"national/udgifter-{slug(region)}.html",
            f"Udgifter over årene, Region {region}",
        )
        for region in datasets.REGIONS
    ]
    jobs.append(Job("knee_discount", {}, "national/knaekrabatten.html", "Knækrabatten"))
    jobs.append(
        Job("explorer", {}, "national/scenarieudforsker.html", "Scenarieudforsker (basis; live: make explorer)")
    )
    return jobs


def kommune_jobs(codes: list[int]) -> list[Job]:
    """One budget report per municipality."""
    names = datasets.municipalities()["kommune"]
    return [
        Job(
            "kommune_budget",
            {"kommune": int(code)},
            f"kommuner/{code}-{slug(names[code])}.html",
            f"{names[code]}: SAPA-budget",
            code,
        )
        for code in codes
    ]


def file_label(path: str) -> str:
    """What an export file holds, in Danish."""
    name = Path(path).name
    return (
        "Budget pr. år (CSV)"
        if name.endswith("-aar.csv")
        else "Fakturaer pr. måned (CSV)"
        if name.endswith("-maaned.csv")
        else "Regneark (XLSX)"
        if name.endswith(".xlsx")
        else name
    )


def _top(job: Job, scenario: Scenario, files: list[str]) -> str:
    depth = "../" * job.output.count("/")
    downloads = "".join(f'<a href="{html.escape(Path(f).name)}" download>{file_label(f)}</a>' for f in files)
    return (
        f'<header class="sapa-top"><a href="{depth}index.html">← Alle rapporter</a> · sapa-budget '
        f"{__version__} · scenarie: {html.escape(scenario.name)}"
        + (f'<div class="sapa-downloads">Hent tallene: {downloads}</div>' if downloads else "")
        + "</header>\n"
    )


@cache
def _tables(settings: Settings) -> tuple[Scenario, pd.DataFrame]:
    """The scenario and its table over the build's years, in the build's price level and moms."""
    scenario = load_scenario(settings.scenario or None)
    table = compute(scenario, horizon(settings.budget_year, scenario.params))
    return scenario, express(table, settings.basis, scenario.params)


def build_one(job: Job, out: str, settings: Settings, timeout: float) -> Outcome:
    """Run in a worker: execute the notebook on the warm kernel, write the page and any exports, within
    the time limit; any failure becomes the outcome's error."""
    try:
        with time_limit(timeout):
            return _build_one(job, Path(out), settings)
    except Exception as exc:  # one report's failure is reported, never fatal to the build
        reason = getattr(exc, "evalue", None) or f"{type(exc).__name__}: {exc}"
        return Outcome(job, error=str(reason).strip().splitlines()[-1][:300])


def _build_one(job: Job, out: Path, settings: Settings) -> Outcome:
    scenario, table = _tables(settings)
    files = []
    if job.code is not None:
        rows = table[table["kommunekode"] == job.code]
        rows.attrs = table.attrs
        years = sorted(table["year"].unique())
        invoices = monthly(job.code, years, scenario)
        invoices = express(invoices.assign(year=invoices["month"].dt.year), settings.basis, scenario.params)
        paths = exports.municipal(
            rows,
            invoices.drop(columns="year"),
            scenario,
            out / Path(job.output).with_suffix(""),
            settings.budget_year,
            settings.basis,
        )
        files = [str(p.relative_to(out)) for p in paths]
    parameters = {**job.parameters, **settings.notebook_parameters(job.notebook)}
    notebook = worker().execute(NOTEBOOKS / f"{job.notebook}.ipynb", parameters)
    write_text(out / job.output, page.render(notebook, job.title, top=_top(job, scenario, files)))
    return Outcome(job, files=files)


def index_page(outcomes: list[Outcome], scenario: Scenario, illustrative: list[str], national_files: list[str]) -> str:
    """reports/index.html: every report, filterable by name, code, region and wave; works offline."""
    ok = {o.job.output: o for o in outcomes if not o.error}
    municipalities = datasets.municipalities()

    def link(o: Outcome) -> str:
        return f'<a href="{html.escape(o.job.output)}">{html.escape(o.job.title)}</a>'

    national = "".join(f"<li>{link(o)}</li>" for o in outcomes if o.job.code is None and not o.error)
    rows = []
    for o in sorted(
        (o for o in outcomes if o.job.code is not None),
        key=lambda o: fmt.sort_key(municipalities.loc[o.job.code, "kommune"]),
    ):
        m = municipalities.loc[o.job.code]
        files = " · ".join(f'<a href="{html.escape(f)}">{file_label(f)}</a>' for f in o.files)
        report = (
            link(o).replace(html.escape(o.job.title), html.escape(m["kommune"]))
            if o.job.output in ok
            else (f"{html.escape(m['kommune'])} <em>(fejlede)</em>")
        )
        rows.append(
            f'<tr data-search="{html.escape((m["kommune"] + " " + str(o.job.code)).lower())}" '
            f'data-region="{m["region"]}" data-wave="{m["wave"]}"><td>{report}</td><td>{o.job.code}</td>'
            f"<td>{m['region']}</td><td>{WAVE[m['wave']]}{' (udledt)' if m['placement'] == 'inferred' else ''}</td>"
            f"<td>{fmt.date(m['billing_start'].date())}</td><td>{files}</td></tr>"
        )
    regions = "".join(f'<option value="{r}">{r}</option>' for r in datasets.REGIONS)
    waves = "".join(f'<option value="{w}">{label}</option>' for w, label in WAVE.items())
    failures = "".join(f"<li>{html.escape(o.job.title)}: {html.escape(o.error)}</li>" for o in outcomes if o.error)
    exports_links = " · ".join(f'<a href="{html.escape(f)}">{html.escape(Path(f).name)}</a>' for f in national_files)
    banner = (
        f'<div class="sapa-banner" role="note" style="border:2px solid #d9a400;background:#fff4d6;'
        f'padding:0.6em 1em;border-radius:6px"><strong>Illustrative tal.</strong> Beløbene bygger på '
        f"{len(illustrative)} pladsholdere, ikke på KOMBITs rigtige priser. Hver rapport viser hvilke.</div>"
        if illustrative
        else ""
    )
    script = """
const q = document.getElementById('q'), region = document.getElementById('region'), wave = document.getElementById('wave');
function filter() {
  const text = q.value.trim().toLowerCase(); let shown = 0;
  for (const row of document.querySelectorAll('#kommuner tbody tr')) {
    const show = (!text || row.dataset.search.includes(text)) && (!region.value || row.dataset.region === region.value)
      && (!wave.value || row.dataset.wave === wave.value);
    row.hidden = !show; shown += show;
  }
  document.getElementById('count').textContent = shown;
}
[q, region, wave].forEach(e => e.addEventListener('input', filter)); filter();
"""
    return (
        '<!DOCTYPE html>\n<html lang="da">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>SAPA-budget: rapporter</title>\n'
        f"<style>\n{page.STYLE.read_text(encoding='utf-8')}\ninput, select {{ font: inherit; padding: 0.2em; margin-right: 0.5em; }}\n"
        "</style>\n</head>\n<body>\n<main>\n<h1>SAPA-budget: rapporter</h1>\n"
        f"<p>Hvad kommunerne betaler for KOMBITs SAPA efter den gamle og den nye afregningsmodel. Scenarie: "
        f"<strong>{html.escape(scenario.name)}</strong>. {html.escape(scenario.description)}</p>\n{banner}\n"
        f"<h2>Nationale analyser</h2>\n<ul>{national}</ul>\n"
        f"<p>Hele tabellen (alle kommuner × år × betalinger): {exports_links}</p>\n"
        + (f'<h2>Fejlede rapporter</h2>\n<ul class="sapa-failures">{failures}</ul>\n' if failures else "")
        + "<h2>Kommunernes budgetrapporter</h2>\n"
        '<p><label>Søg (navn eller kode) <input id="q" type="search" placeholder="fx Aarhus eller 751"></label>'
        f'<label>Region <select id="region"><option value="">Alle</option>{regions}</select></label>'
        f'<label>Bølge <select id="wave"><option value="">Alle</option>{waves}</select></label> '
        '<span><span id="count"></span> kommuner vist</span></p>\n'
        '<div class="sapa-scroll"><table id="kommuner" class="sapa-table"><thead><tr><th>Kommune</th><th>Kode</th>'
        "<th>Region</th><th>Bølge</th><th>Faktureringsstart</th><th>Hent tallene</th></tr></thead>\n<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody></table></div>\n"
        f'<footer class="sapa-foot">sapa-budget {__version__}, bygget {fmt.date(build_date())}. {data_vintage()}. '
        "CSV-filerne er i dansk Excel-format (semikolon, decimalkomma).</footer>\n"
        f"</main>\n<script>{script}</script>\n</body>\n</html>\n"
    )


def build(
    out: Path,
    jobs: list[Job],
    settings: Settings | None = None,
    workers: int = 2,
    timeout: float = 300,
    progress: bool = True,
) -> list[Outcome]:
    """Build the given reports into `out` with `workers` warm kernels; write index.html; return the outcomes."""
    from tqdm import tqdm

    settings = settings or Settings(budget_year=default_budget_year())
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    scenario = load_scenario(settings.scenario or None)
    outcomes: list[Outcome] = []
    context = multiprocessing.get_context("forkserver")  # never fork a process that runs threads
    executor = futures.ProcessPoolExecutor(
        max_workers=max(1, min(workers, len(jobs))),
        mp_context=context,
        initializer=start_worker,
        initargs=(str(ROOT), timeout),
    )
    try:
        table = _tables(settings)[1]
        national_files = [
            str(p.relative_to(out))
            for p in exports.national(table, scenario, out / "exports", settings.budget_year, settings.basis)
        ]
        pending = {executor.submit(build_one, job, str(out), settings, timeout): job for job in jobs}
        with tqdm(total=len(jobs), desc="Rapporter", unit="rapport", disable=not progress) as bar:
            for done in futures.as_completed(pending):
                outcome = done.result()
                outcomes.append(outcome)
                bar.set_postfix_str(("FEJL " if outcome.error else "") + outcome.job.title[:40])
                bar.update()
        write_text(
            out / "index.html",
            index_page(
                sorted(outcomes, key=lambda o: jobs.index(o.job)), scenario, table.attrs["illustrative"], national_files
            ),
        )
    except futures.process.BrokenProcessPool as exc:
        executor.shutdown(wait=False, cancel_futures=True)
        remove_partials(out)
        raise ReportError(
            f"a report worker could not start its Jupyter kernel ({exc}); is ipykernel installed?"
        ) from None
    except BaseException:
        try:  # let the reports in progress finish (each within its time limit); start no new one
            executor.shutdown(wait=True, cancel_futures=True)
        except BaseException:  # a second Ctrl-C: stop the workers now (each stops its kernel first)
            for process in list(getattr(executor, "_processes", {}).values()):
                process.terminate()
            executor.shutdown(wait=True, cancel_futures=True)
        remove_partials(out)
        raise
    executor.shutdown(wait=True)
    return sorted(outcomes, key=lambda o: jobs.index(o.job))
