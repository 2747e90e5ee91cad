"""Build every HTML report: national analyses and one budget report per municipality, plus exports.

Reports are built in parallel worker processes, each running the notebooks on a warm IPython shell of its own.
One failing report does not stop the others; failures are listed at the end. Files are written atomically, so an
interrupted build leaves no half-written report.
"""

from __future__ import annotations

import concurrent.futures as futures
import contextlib
import errno
import html
import json
import multiprocessing
import os
import re
import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TextIO

import pandas as pd

from ..analysis.budget import Basis, build_date, default_budget_year, express, horizon
from ..analysis.followup import followup
from ..analysis.knee import knee_effect
from ..analysis.lines import monthly_basis
from ..analysis.memo import save_results
from ..analysis.outlook import outlook_table
from ..analysis.risk import risk_table
from ..data import datasets
from ..data.names import LETTERS, spellings, variants
from ..engine import compute, model_years
from ..errors import ReportError, Terminated
from ..files import owner_gone, remove_partials, slug, write_text
from ..parameters import read_yaml
from ..scenarios import Scenario, load_scenario
from ..version import __version__
from ..views import fmt, render
from ..views.labels import WAVE
from ..views.presentation import data_vintage, notice
from . import exports, page
from .workers import (
    SHARED,
    WARM_UP,
    ReportTimeout,
    memory_limit_note,
    over_time,
    start_worker,
    time_limit,
    worker,
)

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
    shared_assets: bool = False  # the chart library once in assets/ (for a web server), not in every page
    followup: str = ""  # an invoice file to follow the budget up with ('': no follow-up), its year and as-of date
    followup_year: int | None = None
    as_of: str = ""
    accept_warnings: bool = False  # follow up with invoices the calibration finds implausible
    followed: tuple[int, ...] = ()  # the municipalities the invoice file holds

    @property
    def basis(self) -> Basis:
        return Basis(self.unit or 1, self.prices)

    def notebook_parameters(self, notebook: str) -> dict:
        """The build's settings that a notebook declares as parameters (a unit only when one is asked for)."""
        given = {
            "scenario": self.scenario,
            "budget_year": self.budget_year,
            "prices": self.prices,
            "invoices": self.followup,
            "year": self.followup_year,
            "as_of": self.as_of,
            "accept_warnings": int(self.accept_warnings),
        }
        if self.unit:
            given["unit"] = self.unit
        return {k: v for k, v in given.items() if k in declared_parameters(notebook)}


@cache
def declared_parameters(notebook: str) -> frozenset[str]:
    """The parameters a notebook's parameters cell declares (as papermill reads them)."""
    import papermill

    return frozenset(papermill.inspect_notebook(str(NOTEBOOKS / f"{notebook}.ipynb")))


@dataclass(frozen=True)
class Job:
    """One report to build: which notebook, with which parameters, written where."""

    notebook: str
    parameters: dict
    output: str  # relative to the output folder
    title: str
    code: int | None = None  # the municipality, for its exports
    about: str = ""  # one line for the index
    main: bool = True  # the municipality's own report (its row in the index, its exports); else linked from that row


@dataclass
class Outcome:
    job: Job
    error: str = ""
    files: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # where the report's time went, by stage (STAGES)
    cells: list[tuple[str, float]] = field(default_factory=list)  # each code cell's first line and seconds


# A report's stages (seconds): its exports; the notebook (of which its cells, and of those the charts'
# Altair-to-HTML; the rest is papermill's parameters and the shell's reset); nbconvert's template; the page around it
# (header, style, CSP); writing the file. And the CPU seconds the worker spent on it.
STAGES = ("exports", "notebook", "cells", "charts", "nbconvert", "page", "write", "cpu")
TIMINGS = "SAPA_BUILD_TIMINGS"  # environment: a file to write each report's stages to, as JSON (benchmarks)


CATALOGUE = Path(__file__).with_name("reports.yaml")  # which reports there are: declared as data


@cache
def catalogue() -> dict:
    """The report declarations (reports.yaml)."""
    return read_yaml(CATALOGUE, "report catalogue")  # type: ignore[return-value]


def _job(declaration: dict, fields: dict, code: int | None = None, main: bool = True) -> Job:
    """A declared report with its placeholders filled in: '{region}' and the like in its texts and parameters."""

    def fill(value):
        whole = re.fullmatch(r"\{(\w+)\}", value) if isinstance(value, str) else None
        return fields[whole.group(1)] if whole else value.format(**fields) if isinstance(value, str) else value

    return Job(
        declaration["notebook"],
        {k: fill(v) for k, v in (declaration.get("parameters") or {}).items()},
        fill(declaration["file"]),
        fill(declaration["title"]),
        code,
        fill(declaration.get("about", "")),
        main,
    )


def national_jobs() -> list[Job]:
    """The national reports for KL, as reports.yaml declares them, each with the one line the index shows."""
    count = len(datasets.municipalities())
    jobs = []
    for declaration in catalogue()["national"]:
        each = [{"region": r, "region_slug": slug(r)} for r in datasets.REGIONS] if declaration.get("each") else [{}]
        jobs += [_job(declaration, {"municipalities": count, **fields}) for fields in each]
    return jobs


def kommune_jobs(codes: list[int]) -> list[Job]:
    """One budget report per municipality, as reports.yaml declares it."""
    names = datasets.municipalities()["kommune"]
    declaration = catalogue()["municipal"]
    return [
        _job(declaration, {"code": int(code), "kommune": names[code], "kommune_slug": slug(names[code])}, int(code))
        for code in codes
    ]


def followup_jobs(codes: list[int], held: int, settings: Settings) -> list[Job]:
    """The budget follow-up's reports, as reports.yaml declares them: one per municipality followed up (linked
    from its row in the index), and the national ones, those marked `several` only when the invoice file holds
    several municipalities ({year} and {as_of} in their texts are the follow-up's)."""
    names = datasets.municipalities()["kommune"]
    declarations = catalogue()["followup"]
    fields = {"year": settings.followup_year, "as_of": fmt.date(settings.as_of) if settings.as_of else ""}
    national = [
        _job(d, {"municipalities": held, **fields})
        for d in declarations["national"]
        if held > 1 or not d.get("several")
    ]
    return national + [
        _job(
            declarations["municipal"],
            {"code": int(code), "kommune": names[code], "kommune_slug": slug(names[code]), **fields},
            int(code),
            main=False,
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


def build_one(job: Job, out: str, settings: Settings, timeout: float, scratch: str = "") -> Outcome:
    """Run in a worker: execute the notebook on the warm shell, write the page and any exports, within
    the time limit; any failure becomes the outcome's error (one plain line)."""
    note = Path(scratch) / f"{RUNNING}{os.getpid()}" if scratch else None
    if note:
        note.write_text(job.output, encoding="utf-8")
    try:
        with time_limit(timeout):
            return _build_one(job, Path(out), settings, Path(scratch) if scratch else None)
    except ReportTimeout:
        return Outcome(job, error=over_time(timeout))
    except MemoryError:
        return Outcome(job, error=f"ran out of memory while building it{memory_limit_note()}")
    except Exception as exc:  # one report's failure is reported, never fatal to the build
        return Outcome(job, error=clean_message(f"{type(exc).__name__}: {exc}"))
    finally:
        if note:
            note.unlink(missing_ok=True)


class _Clock(dict):
    """Seconds per stage: `with clock("notebook"): ...`."""

    @contextlib.contextmanager
    def __call__(self, stage: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self[stage] = self.get(stage, 0.0) + time.perf_counter() - started


def _cell_seconds(notebook) -> list[tuple[str, float]]:
    """Each code cell's first line and how long it took to run (the timestamps nbclient would record)."""
    from datetime import datetime

    cells = []
    for cell in notebook.cells:
        stamps = cell.get("metadata", {}).get("execution", {})
        if cell.cell_type == "code" and "iopub.execute_input" in stamps and "shell.execute_reply" in stamps:
            begun, ended = (datetime.fromisoformat(stamps[k]) for k in ("iopub.execute_input", "shell.execute_reply"))
            cells.append((cell.source.partition("\n")[0][:70], (ended - begun).total_seconds()))
    return cells


@cache
def _library(scratch: Path | None) -> str:
    """The chart library as the pages carry it inline: made once by the build, which leaves it in the scratch
    folder (LIBRARY) while the workers start; made here if the build is not making it (any more)."""
    shared = scratch / LIBRARY if scratch else None
    while shared and not shared.exists() and shared.with_suffix(".making").exists():
        time.sleep(0.05)
    return (
        f"<script>{shared.read_text(encoding='utf-8')}</script>"
        if shared and shared.exists()
        else render.bundle_script()
    )


def _build_one(job: Job, out: Path, settings: Settings, scratch: Path | None = None) -> Outcome:
    started = time.process_time()
    scenario, table = _tables(settings)
    clock = _Clock()
    timed = bool(os.environ.get(TIMINGS))
    with clock("exports"):
        files = _exports(job, out, settings, scenario, table)
    parameters = {**job.parameters, **settings.notebook_parameters(job.notebook)}
    with clock("notebook"):
        notebook = worker().execute(NOTEBOOKS / f"{job.notebook}.ipynb", parameters)
    cells = _cell_seconds(notebook)
    clock["cells"] = sum(seconds for _, seconds in cells)
    if timed:
        clock["charts"] = worker().chart_seconds()
    assets = "../" * job.output.count("/") if settings.shared_assets else None
    with clock("nbconvert"):
        body = page.notebook_html(notebook, page.library_tag(assets) if assets is not None else _library(scratch))
    with clock("page"):
        text = page.document(job.title, f"{_top(job, scenario, files)}{page.MAIN}\n{body}\n</main>\n", assets=assets)
    with clock("write"):
        write_text(out / job.output, text)
    clock["cpu"] = time.process_time() - started
    return Outcome(job, files=files, seconds=dict(clock), cells=cells)


def _exports(job: Job, out: Path, settings: Settings, scenario: Scenario, table: pd.DataFrame) -> list[str]:
    """A municipal report's CSV and XLSX files (none for a national report), relative to `out`."""
    files: list[str] = []
    if job.code is not None and job.main:
        rows = table[table["kommunekode"] == job.code]
        rows.attrs = table.attrs
        years = sorted(set(exports.invoice_years(settings.budget_year)) & set(table["year"]))
        invoices = monthly_basis(job.code, years, scenario, settings.basis)
        followed = (
            followup(
                job.code,
                settings.followup,
                settings.followup_year,
                settings.as_of,
                scenario,
                strict=not settings.accept_warnings,
            )
            if job.code in settings.followed
            else None
        )
        paths = exports.municipal(
            rows,
            invoices.drop(columns="year"),
            scenario,
            out / Path(job.output).with_suffix(""),
            settings.budget_year,
            settings.basis,
            followed,
        )
        files = [str(p.relative_to(out)) for p in paths]
    return files


INDEX_SCRIPT = """
const LETTERS = %s;
const plain = t => t.trim().toLowerCase().replace(/\\bkommune\\b/g, '').replace(/[^0-9a-zæøåéü]/g, '');
const standard = t => [...plain(t)].map(c => (LETTERS[c] || [c])[0]).join('');
const q = document.getElementById('q'), region = document.getElementById('region'),
      wave = document.getElementById('wave'), count = document.getElementById('count'),
      empty = document.getElementById('empty'), rows = [...document.querySelectorAll('#kommuner tbody tr')];
function matches(row, text) {
  if (!text) return true;
  const digits = text.trim().replace(/^0+(?=[0-9])/, '');
  if (/^[0-9]+$/.test(digits)) return row.dataset.code.startsWith(digits);
  const keys = row.dataset.keys.split(' '), p = plain(text), s = standard(text);
  return keys.some(k => k.includes(p) || k.includes(s));
}
function filter() {  // shows the rows that match; returns the one row shown, if only one is
  let shown = 0, last = null;
  for (const row of rows) {
    const show = matches(row, q.value) && (!region.value || row.dataset.region === region.value)
      && (!wave.value || row.dataset.wave === wave.value);
    row.hidden = !show;
    if (show) { shown++; last = row; }
  }
  count.textContent = shown === 1 ? '1 kommune vist' : shown + ' kommuner vist';
  empty.hidden = shown > 0;
  return shown === 1 ? last : null;
}
function remember() {  // the address follows the search: a copied link, a bookmark and Back show the same rows
  const asked = new URLSearchParams();
  if (q.value.trim()) asked.set('q', q.value.trim());
  if (region.value) asked.set('region', region.value);
  if (wave.value) asked.set('wave', wave.value);
  try { history.replaceState(null, '', asked.toString() ? '?' + asked : location.pathname); } catch (e) {}
}
function restore() {
  const asked = new URLSearchParams(location.search);
  if (asked.has('q')) q.value = asked.get('q');
  for (const [box, key] of [[region, 'region'], [wave, 'wave']]) {
    if ([...box.options].some(o => o.value === asked.get(key))) box.value = asked.get(key);
  }
  filter();
}
[q, region, wave].forEach(e => e.addEventListener('input', () => { filter(); remember(); }));
q.addEventListener('keydown', e => {  // Enter opens the report when the search has found exactly one
  const one = e.key === 'Enter' ? filter() : null, link = one && one.querySelector('a');
  if (link) { e.preventDefault(); location.href = link.href; }
});
addEventListener('pageshow', restore);  // Back: the rows as the search left them
restore();
"""


def search_keys(code: int) -> str:
    """What the index's search box matches a municipality by: every spelling the package accepts for it (its
    name tables), its region and its wave (with and without Danish letters: 'bolge 3'), in the package's own
    normal form."""
    municipality = datasets.municipalities().loc[code]
    words = {f"Region {municipality['region']}", WAVE[municipality["wave"]]}  # 'Hovedstaden' is found too
    keys = set(spellings(code)) | {key for word in words for key in variants(word)}
    return " ".join(sorted(keys))


def index_page(
    outcomes: list[Outcome],
    scenario: Scenario,
    illustrative: list[str],
    national_files: list[str],
    stale: list[str] | None = None,
    shared_assets: bool = False,
) -> str:
    """reports/index.html: every report, filterable by any spelling of a name, code, region and wave (also from
    a link: index.html?q=Århus); works offline."""
    municipalities = datasets.municipalities()
    national = "".join(
        f'<li><a href="{html.escape(o.job.output)}">{html.escape(o.job.title)}</a>'
        f"{f' <span>– {html.escape(o.job.about)}</span>' if o.job.about else ''}</li>"
        for o in outcomes
        if o.job.code is None and not o.error
    )
    rows = []
    linked: dict[int, list[Outcome]] = {}  # a municipality's other reports (its follow-up), linked from its row
    for o in outcomes:
        if o.job.code is not None and not o.job.main and not o.error:
            linked.setdefault(o.job.code, []).append(o)
    for o in sorted(
        (o for o in outcomes if o.job.code is not None and o.job.main),
        key=lambda o: fmt.sort_key(municipalities.loc[o.job.code, "kommune"]),
    ):
        m = municipalities.loc[o.job.code]
        name = html.escape(m["kommune"])
        files = " · ".join(f'<a href="{html.escape(f)}">{file_label(f)}</a>' for f in o.files)
        report = f'<a href="{html.escape(o.job.output)}">{name}</a>' if not o.error else f"{name} <em>(fejlede)</em>"
        report += "".join(
            f' · <a href="{html.escape(x.job.output)}">{html.escape(x.job.title.split(": ", 1)[-1])}</a>'
            for x in linked.get(int(m["kommunekode"]), [])
        )
        cells = [
            ("Kommune", report),
            ("Kode", str(o.job.code)),
            ("Region", html.escape(m["region"])),
            ("Bølge", WAVE[m["wave"]] + (" (udledt)" if m["placement"] == "inferred" else "")),
            ("Faktureringsstart", fmt.date(m["billing_start"].date())),
            ("Hent tallene", files),
        ]
        rows.append(
            f'<tr data-keys="{html.escape(search_keys(int(m["kommunekode"])))}" data-code="{o.job.code}" '
            f'data-region="{html.escape(m["region"])}" data-wave="{m["wave"]}">'
            + "".join(f'<td data-label="{label}">{value}</td>' for label, value in cells)
            + "</tr>"
        )
    regions = "".join(f'<option value="{r}">{r}</option>' for r in datasets.REGIONS)
    waves = "".join(f'<option value="{w}">{label}</option>' for w, label in WAVE.items())
    failures = "".join(f"<li>{html.escape(o.job.title)}: {html.escape(o.error)}</li>" for o in outcomes if o.error)
    exports_links = "".join(
        f'<li><a href="{html.escape(f)}">{html.escape(Path(f).name)}</a></li>' for f in national_files
    )
    banner = (
        notice(
            f"<p><strong>Illustrative tal.</strong> Beløbene bygger på {len(illustrative)} pladsholdere, ikke på "
            "KOMBITs rigtige priser. Hver rapport viser hvilke.</p>"
        )
        if illustrative
        else ""
    )
    stale_list = "".join(f"<li>{html.escape(f)}</li>" for f in stale or [])
    body = (
        f"{page.MAIN}\n<h1>SAPA-budget: rapporter</h1>\n"
        f"<p>Hvad kommunerne betaler for KOMBITs SAPA efter den nye og den gamle afregningsmodel. Scenarie: "
        f"<strong>{html.escape(scenario.name)}</strong>. {html.escape(scenario.description)}</p>\n{banner}\n"
        '<div class="sapa-index-controls" role="search">'
        '<label class="sapa-search">Find en kommune: navn, kode, region eller bølge '
        '<input id="q" type="search" name="q" autocomplete="off" placeholder="fx Århus, 0751 eller Hovedstaden"></label>'
        f'<label>Region <select id="region" name="region"><option value="">Alle</option>{regions}</select></label>'
        f'<label>Bølge <select id="wave" name="wave"><option value="">Alle</option>{waves}</select></label> '
        '<span id="count" role="status" aria-live="polite"></span> '
        '<a href="#nationale">Nationale analyser for KL</a></div>\n'
        '<p id="empty" class="sapa-empty" hidden>Ingen kommune passer på søgningen. Prøv en anden stavemåde, '
        "koden eller regionen.</p>\n"
        '<h2 id="kommuner-titel">Kommunernes budgetrapporter</h2>\n'
        '<div class="sapa-scroll"><table id="kommuner" class="sapa-table" aria-labelledby="kommuner-titel"><thead><tr>'
        + "".join(
            f'<th scope="col">{h}</th>'
            for h in ("Kommune", "Kode", "Region", "Bølge", "Faktureringsstart", "Hent tallene")
        )
        + "</tr></thead>\n<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody></table></div>\n"
        f'<h2 id="nationale">Nationale analyser</h2>\n<ul class="sapa-reports">{national}</ul>\n'
        f'<p>Alle kommuner, år og betalinger som tabeller:</p><ul class="sapa-reports">{exports_links}</ul>\n'
        + (f'<h2>Fejlede rapporter</h2>\n<ul class="sapa-failures">{failures}</ul>\n' if failures else "")
        + (
            f"<h2>Ældre filer i mappen</h2>\n<p>Disse filer er ikke fra denne kørsel og kan bygge på et andet "
            f"scenarie:</p><ul>{stale_list}</ul>\n"
            if stale_list
            else ""
        )
        + f'<footer class="sapa-foot">sapa-budget {__version__}, bygget {fmt.date(build_date())}. {data_vintage()}. '
        "CSV-filerne er i dansk Excel-format (semikolon, decimalkomma).</footer>\n</main>\n"
        f"<script>{INDEX_SCRIPT % json.dumps(LETTERS, ensure_ascii=False)}</script>\n"
    )
    return page.document("SAPA-budget: rapporter", body, assets="" if shared_assets else None)


MAX_RESTARTS = 5  # workers that die are replaced this many times in one build; then the build stops
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def clean_message(text: object, limit: int = 300) -> str:
    """An error message as one plain line: no terminal colour codes, no traceback, at most `limit` characters."""
    lines = [line.strip() for line in ANSI.sub("", str(text)).splitlines() if line.strip().strip("-")]
    return (lines[-1] if lines else "failed")[:limit]


class OutputLock:
    """Holds `out/.sapa-build.lock` for one build: a second build into the same folder stops with a message
    naming the folder and the build that holds it."""

    def __init__(self, out: Path):
        self.path = out / ".sapa-build.lock"
        self.handle: TextIO | None = None

    def __enter__(self) -> OutputLock:
        import fcntl

        handle = self.handle = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "another build"
            handle.close()
            raise ReportError(
                f"{self.path.parent} is being written by another build ({holder}); wait for it "
                "to finish or choose another --out"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"sapa reports, process {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}")
        handle.flush()
        return self

    def __exit__(self, *_) -> None:
        assert self.handle is not None
        self.handle.close()
        self.path.unlink(missing_ok=True)


def writable_folder(out: Path | str) -> Path:
    """The output folder, created and checked writable before any work; ReportError says why not."""
    if not str(out).strip():
        raise ReportError("--out is empty; give the folder to write the reports to, e.g. reports")
    out = Path(os.path.abspath(out))
    if os.path.lexists(out) and not os.path.exists(out):
        raise ReportError(f"cannot write to {out}: it is a link that leads nowhere or in a circle")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".sapa-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
        for name in ("index.html", "kommuner", "national", "exports"):
            if (out / name).exists() and (out / name).is_dir() != (name != "index.html"):
                raise ReportError(
                    f"{out / name} is in the way: it must be a {'folder' if name != 'index.html' else 'file'}"
                )
    except OSError as exc:
        why = "a link on the way leads in a circle" if exc.errno == errno.ELOOP else exc.strerror or exc
        raise ReportError(f"cannot write to {out}: {why}") from None
    return out


def build(
    out: Path,
    jobs: list[Job],
    settings: Settings | None = None,
    workers: int = 2,
    timeout: float = 300,
    progress: bool = True,
    prune: bool = False,
) -> list[Outcome]:
    """Build the given reports into `out` with `workers` warm workers; write index.html; return the outcomes.
    `prune`: this is every report, so remove reports and exports in the folder that it did not write.

    The folder is locked for the build; a worker that dies is replaced and its report listed as failed;
    Ctrl-C lets the reports in progress finish, SIGTERM (Terminated) stops at once; either way no
    half-written file and no worker is left, and the scratch folder is removed.
    """
    settings = settings or Settings(budget_year=default_budget_year())
    short_enough_temporary_folder()
    out = writable_folder(out)
    remove_dead_scratch()
    with OutputLock(out), tempfile.TemporaryDirectory(prefix=f"{SCRATCH}{os.getpid()}-") as scratch:
        remove_partials(out)  # those of builds that were killed before they could remove them
        try:
            clock = _Clock()
            context = _forkserver()  # it imports what the workers need while this process computes the tables
            with clock("tables, risk and outlook"):
                scenario, table = _tables(settings)
                _share_results(jobs, scenario, settings, Path(scratch))
            national_files: list[str] = []
            library = Path(scratch) / LIBRARY
            library.with_suffix(".making").touch()  # the workers wait for it while this is there

            def meanwhile() -> None:  # while the workers start
                with clock("chart library and national exports"):
                    try:
                        write_text(library, render.bundle_code())
                    finally:  # done, or interrupted: either way no worker waits any longer
                        library.with_suffix(".making").unlink(missing_ok=True)
                    if settings.shared_assets:
                        for name, content in page.assets().items():
                            write_text(out / name, content)
                    national_files.extend(
                        str(p.relative_to(out))
                        for p in exports.national(
                            table, scenario, out / "exports", settings.budget_year, settings.basis
                        )
                    )

            with clock("reports"):
                outcomes = _run_jobs(out, jobs, settings, workers, timeout, progress, Path(scratch), context, meanwhile)
            with clock("index"):
                produced = {o.job.output for o in outcomes if not o.error} | {f for o in outcomes for f in o.files}
                stale = _stale_files(out, produced | set(national_files), prune)
                write_text(
                    out / "index.html",
                    index_page(
                        outcomes, scenario, table.attrs["illustrative"], national_files, stale, settings.shared_assets
                    ),
                )
            if os.environ.get(TIMINGS):
                _write_timings(Path(os.environ[TIMINGS]), clock, outcomes)
        finally:
            remove_partials(out)
    return outcomes


UNIX_SOCKET_PATH = 107  # bytes a Unix socket's path may hold (Linux's sun_path, less its closing NUL)
LONGEST_TMPDIR = UNIX_SOCKET_PATH - len("/pymp-xxxxxxxx/listener-xxxxxxxx")  # bytes; the forkserver's socket


def short_enough_temporary_folder() -> None:
    """Stop with a message when the temporary folder's path is too long for the Unix socket multiprocessing's
    forkserver listens on there (<TMPDIR>/pymp-xxxxxxxx/listener-xxxxxxxx), instead of its traceback."""
    folder, most = tempfile.gettempdir(), LONGEST_TMPDIR
    if len(os.fsencode(folder)) > most:
        raise ReportError(
            f"the temporary folder {folder} (TMPDIR) is {len(os.fsencode(folder))} bytes long; the "
            f"report workers talk through Unix sockets in it, which allows at most {most}: set TMPDIR to a shorter "
            "folder (e.g. TMPDIR=/tmp)"
        )


LIBRARY = "vega.js"  # in the build's scratch folder: the chart library, made once, put in every page


def _share_results(jobs: list[Job], scenario: Scenario, settings: Settings, scratch: Path) -> None:
    """The risk table, the budget years' outlook and the knee's effect in the budget year the reports read (the
    same for every municipality), computed once here and left in the scratch folder, where each worker loads them
    before its first report (SHARED)."""
    if any(job.notebook in ("kommune_budget", "old_vs_new") for job in jobs):
        risk_table(scenario, model_years(horizon(settings.budget_year, scenario.params), scenario.params))
        outlook_table(scenario, settings.budget_year)
        knee_effect(scenario, [settings.budget_year])
        save_results(scratch / SHARED, [risk_table, outlook_table, knee_effect])


def _write_timings(path: Path, clock: _Clock, outcomes: list[Outcome]) -> None:
    """Where the build's time went (TIMINGS), as JSON: the build's phases and each report's stages and cells."""
    reports = [
        {"output": o.job.output, "notebook": o.job.notebook, "seconds": o.seconds, "cells": o.cells}
        for o in outcomes
        if not o.error
    ]
    write_text(path, json.dumps({"phases": dict(clock), "reports": reports}, ensure_ascii=False, indent=1))


SCRATCH = "sapa-build-"  # a build's scratch folder in the temporary folder: sapa-build-<its process id>-...


def remove_dead_scratch() -> int:
    """Remove the scratch folders of builds that no longer run (killed with SIGKILL, they could not remove their
    own); only this user's. Returns how many."""
    removed = 0
    for folder in Path(tempfile.gettempdir()).glob(f"{SCRATCH}*"):
        owner = folder.name.removeprefix(SCRATCH).split("-", 1)[0]
        try:
            mine = folder.is_dir() and not folder.is_symlink() and folder.stat().st_uid == os.getuid()
        except OSError:
            continue
        if mine and owner_gone(owner):
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


@cache
def _reports_and_their_exports() -> frozenset[str]:
    """Every report a build may write (reports.yaml, for every region and municipality) and every
    municipality's exports, relative to the output folder."""
    jobs = national_jobs() + kommune_jobs(list(datasets.municipalities().index))
    exported = {
        str(p)
        for job in jobs
        if job.code is not None
        for p in exports.municipal_paths(Path(job.output).with_suffix(""))
    }
    return frozenset({job.output for job in jobs} | exported)


def written_by_a_build(relative: str) -> bool:
    """True for a file a build of these reports may have written (a report or export, for any municipality,
    region or budget year); a user's own files in the folder (notes, other documents) never are."""
    path = Path(relative)
    if path.parent.as_posix() == "exports":
        return exports.is_national_export(path.name)
    return path.as_posix() in _reports_and_their_exports()


def _stale_files(out: Path, produced: set[str], prune: bool) -> list[str]:
    """Reports and exports of earlier builds in the folder that this build did not write again. A full build
    (prune) removes them (they may be from another scenario); a partial one leaves them and returns them, for
    the index to list. Any other file in the folder is left alone and not listed."""
    found = [
        p.relative_to(out).as_posix()
        for folder in ("kommuner", "national", "exports")
        if (out / folder).is_dir()
        for p in sorted((out / folder).iterdir())
        if p.is_file() and not p.is_symlink() and written_by_a_build(p.relative_to(out).as_posix())
    ]
    stale = [f for f in found if f not in produced]
    if prune:
        for name in stale:
            (out / name).unlink(missing_ok=True)
        return []
    return stale


def _forkserver() -> multiprocessing.context.ForkServerContext:
    """The workers' multiprocessing context: a forkserver that imports what every report needs once, then forks
    each worker with it imported; started now (it stays for the process)."""
    from multiprocessing import forkserver

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__, *WARM_UP])
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C while it imports is this process's to handle
    try:
        forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, previous)
    return context


def _run_jobs(
    out: Path,
    jobs: list[Job],
    settings: Settings,
    workers: int,
    timeout: float,
    progress: bool,
    scratch: Path,
    context: multiprocessing.context.ForkServerContext,
    meanwhile: Callable[[], None] | None = None,
) -> list[Outcome]:
    """Run the jobs on a pool of warm workers forked by `context` (_forkserver); replace workers that die (their
    report fails). `meanwhile`: the build's own work, done once the jobs are handed out."""
    from tqdm import tqdm

    outcomes: dict[str, Outcome] = {}  # by the job's output, which is unique
    todo = list(jobs)
    with tqdm(total=len(jobs), desc="Rapporter", unit="rapport", disable=not progress) as bar:
        for _ in range(MAX_RESTARTS + 1):
            executor = futures.ProcessPoolExecutor(
                max_workers=max(1, min(workers, len(todo))),
                mp_context=context,
                initializer=start_worker,
                initargs=(str(ROOT), str(scratch), os.getpid()),
            )
            try:
                pending = {
                    executor.submit(build_one, job, str(out), settings, timeout, str(scratch)): job for job in todo
                }
                if meanwhile is not None:
                    meanwhile()
                    meanwhile = None
                waiting = set(pending)
                while waiting:
                    done, waiting = futures.wait(waiting, timeout=1.0, return_when=futures.FIRST_COMPLETED)
                    for future in done:
                        outcome = future.result()
                        outcomes[outcome.job.output] = outcome
                        bar.set_postfix_str(("FEJL " if outcome.error else "") + outcome.job.title[:40])
                        bar.update()
                    _stop_overdue(scratch, timeout)
                executor.shutdown(wait=True)
                break
            except futures.process.BrokenProcessPool:
                executor.shutdown(wait=False, cancel_futures=True)
                for job, overdue in _running_on_dead_workers(scratch, todo):
                    outcomes[job.output] = Outcome(
                        job,
                        error=f"{over_time(timeout)} and its worker was stopped"
                        if overdue
                        else f"the report's worker process died while building it{memory_limit_note()}",
                    )
                    bar.update()
                todo = [j for j in jobs if j.output not in outcomes]
                if not todo:
                    break
            except Terminated:
                _stop_now(executor)
                raise
            except BaseException:
                try:  # Ctrl-C: let the reports in progress finish (each within its time limit); start no new one
                    executor.shutdown(wait=True, cancel_futures=True)
                except BaseException:  # a second Ctrl-C (or SIGTERM): stop the workers now
                    _stop_now(executor)
                raise
        else:
            raise ReportError(
                f"report workers kept dying ({MAX_RESTARTS} restarts); the build was stopped{memory_limit_note()}"
            )
    return [outcomes[job.output] for job in jobs]


def _stop_now(executor: futures.ProcessPoolExecutor) -> None:
    """Stop every worker at once, then wait for them."""
    processes = list(getattr(executor, "_processes", {}).values())
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join(5)  # reaped: a process not yet reaped still counts as running (files.owner_gone)
    executor.shutdown(wait=False, cancel_futures=True)


RUNNING = "running-"  # running-<process id>, in the build's scratch folder: the report that worker builds now


def _running_notes(scratch: Path) -> list[tuple[int, Path]]:
    """Each worker's note of the report it builds now (build_one writes it, named after the worker): its process
    id and the note."""
    return [(int(note.name.removeprefix(RUNNING)), note) for note in scratch.glob(f"{RUNNING}*")]


def _running_on_dead_workers(scratch: Path, jobs: list[Job]) -> list[tuple[Job, bool]]:
    """The jobs that workers which have died were building (each worker notes its job in the scratch folder), each
    with whether the build stopped that worker for running over the time limit (_stop_overdue)."""
    running = []
    for pid, note in _running_notes(scratch):
        try:
            os.kill(pid, 0)
        except OSError:  # that worker is gone
            output = note.read_text(encoding="utf-8")
            overdue = scratch / f"overdue-{pid}"
            running += [(job, overdue.exists()) for job in jobs if job.output == output]
            note.unlink(missing_ok=True)
            overdue.unlink(missing_ok=True)
    return running


OVERDUE_GRACE = 30.0  # seconds past its time limit before the build stops a worker that has not stopped itself


def _stop_overdue(scratch: Path, timeout: float) -> None:
    """Kill the workers still on a report OVERDUE_GRACE seconds past its time limit. A worker stops its own report
    at the limit (time_limit), but only between Python steps: one stuck in a long call into a library, or with
    the alarm blocked, is stopped here, and its report fails for the time limit."""
    for pid, note in _running_notes(scratch):
        try:
            late = time.time() - note.stat().st_mtime > timeout + OVERDUE_GRACE
        except OSError:  # the report has just ended
            continue
        if late:
            (scratch / f"overdue-{pid}").touch()
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
