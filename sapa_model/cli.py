"""The `sapa` command: build the reports (and print a municipality's budget)."""

from __future__ import annotations

import argparse
import math
import os
import re
import signal
import sys
from dataclasses import replace
from pathlib import Path

from .errors import NAMES_SHOWN, SapaError, Terminated, as_option, counted, echo

PIPE_CLOSED = 141  # the exit code when the reader of the output goes away: 128 + SIGPIPE, as a shell reports it
MAX_TIMEOUT = 3600.0  # seconds: no report takes an hour
# Bytes a report worker may use at most: the worker's own imports and tables and a notebook's (~150 MB each, measured
# apart), plus ~9 kB per Monte Carlo draw at the peak of the risk computation (measured: ~1.1 GB for a notebook at the
# 100 000 draws montecarlo.draws allows).
WORKER_MEMORY = 400 * 2**20
DRAW_MEMORY = 10 * 2**10


# Characters a name or reference must not send to a terminal as they are: control characters (an ANSI escape
# recolours, moves or clears what is shown) and the bidirectional controls (they reorder what follows).
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """Text as the terminal may show it: every unsafe character written as its visible escape (\\x1b, \\u202e)."""
    return UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def say(*parts: object, file=None) -> None:
    """print(), with whatever a user supplied (a scenario's name, an invoice reference, a file name) made safe
    for the terminal."""
    print(terminal_safe(" ".join(map(str, parts))), file=file or sys.stdout)


def whole(text: str) -> int:
    """An argparse type: a whole number written with the digits 0-9 (no '²', no '٣', no fractions)."""
    if not re.fullmatch(r"\s*[0-9]{1,6}\s*", text or ""):
        raise argparse.ArgumentTypeError(f"{echo(text)} is not a whole number (digits 0-9)")
    return int(text)


def seconds(text: str) -> float:
    """An argparse type: a time limit, a finite number of seconds above 0 and at most MAX_TIMEOUT."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{echo(text)} is not a number of seconds") from None
    if not math.isfinite(value) or not 0 < value <= MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(
            f"{echo(text)} must be a number of seconds above 0 and at most {MAX_TIMEOUT:g}"
        )
    return value


def decimal(text: str) -> float:
    """An argparse type: a finite number, with a decimal point or comma ('0.5', '0,5')."""
    try:
        value = float(str(text).strip().replace(",", "."))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{echo(text)} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{echo(text)} is not a finite number")
    return value


def worker_memory(draws: int) -> int:
    """Bytes a report worker uses at most, for a scenario of `draws` Monte Carlo draws."""
    return WORKER_MEMORY + draws * DRAW_MEMORY


def usable_workers(asked: int, draws: int, free: int | None = None) -> int:
    """At most the machine's cores and what its free memory (default: MemAvailable) holds, each worker running
    notebooks that compute `draws` Monte Carlo draws."""
    cores = os.cpu_count() or 1
    if free is None:
        try:
            meminfo = Path("/proc/meminfo").read_text()
            free = int(re.search(r"MemAvailable:\s+(\d+)", meminfo).group(1)) * 1024  # type: ignore[union-attr]
        except (OSError, AttributeError):
            free = worker_memory(draws) * cores
    return max(1, min(asked, cores, free // worker_memory(draws)))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sapa", description="What Danish municipalities pay for KOMBIT's SAPA.")
    commands = parser.add_subparsers(dest="command", required=True)
    reports = commands.add_parser(
        "reports",
        help="build every HTML report and export",
        description="Build the national reports, one report per municipality, the CSV/XLSX exports and index.html.",
    )
    reports.add_argument(
        "--kommune",
        action="append",
        default=[],
        metavar="NAME_OR_CODE",
        help="build only this municipality's report (repeatable); national reports are then skipped "
        "unless --national is given",
    )
    reports.add_argument("--national", action="store_true", help="with --kommune: build the national reports too")
    reports.add_argument("--scenario", default="", metavar="FILE", help="scenario YAML file (default: the baseline)")
    reports.add_argument(
        "--out",
        default="reports",
        type=str,
        metavar="DIR",
        help="output folder (default: reports); a full build removes the reports and exports of earlier builds in "
        "it that it does not write again, never other files",
    )
    reports.add_argument(
        "--jobs",
        type=whole,
        default=min(2, os.cpu_count() or 1),
        metavar="N",
        help="parallel workers (default: 2; at most the cores and what memory holds)",
    )
    reports.add_argument(
        "--timeout",
        type=seconds,
        default=300,
        metavar="SECONDS",
        help=f"time limit per report (default: 300, at most {MAX_TIMEOUT:g})",
    )
    reports.add_argument("--quiet", action="store_true", help="no progress bar")
    reports.add_argument(
        "--shared-assets",
        action="store_true",
        help="write the chart library once to assets/ (for a web server) instead of into every "
        "report; the default keeps each report one file that can be e-mailed",
    )
    reports.add_argument(
        "--followup",
        default="",
        metavar="FILE",
        help="invoices paid (the file sapa calibrate reads): a budget follow-up page for each municipality in it, "
        "its workbook sheet, and a national follow-up page when it holds several; without --kommune, only the "
        "municipalities in the file are built",
    )
    reports.add_argument("--as-of", default="", metavar="YYYY-MM-DD", help="the follow-up's as-of date")
    _accept_option(reports)
    _budget_options(
        reports,
        unit_help="the budget tables' unit: 1 (kroner) or 1000 (1.000 kr.); default: kroner in "
        "the municipal reports, 1.000 kr. in the national budget tables",
    )
    budget = commands.add_parser(
        "budget",
        help="print one municipality's budget lines",
        description="Print a municipality's yearly budget lines under both models.",
    )
    budget.add_argument("kommune", metavar="NAME_OR_CODE")
    budget.add_argument("--scenario", default="", metavar="FILE")
    budget.add_argument(
        "--years",
        default="",
        metavar="FIRST-LAST",
        help="these years instead of the budget year and its overslagsår (history, e.g. 2019-2026)",
    )
    _budget_options(budget, unit_help="1 (kroner, default) or 1000 (1.000 kr.)")
    calibrate = commands.add_parser(
        "calibrate",
        help="solve the real prices from invoices and write a scenario",
        description="Read amounts actually paid (CSV or XLSX: kommune, year, component, amount_dkk, optional "
        "months, reference), solve the SAPA price per year, the knee rate and KMD Sag starting payments, print "
        "them with each invoice against the model, and write a scenario that reproduces the invoices.",
    )
    calibrate.add_argument("file", type=Path, metavar="INVOICES", help="CSV or XLSX file of amounts paid")
    calibrate.add_argument("--out", type=Path, required=True, metavar="SCENARIO.yaml", help="scenario file to write")
    calibrate.add_argument("--scenario", default="", metavar="FILE", help="scenario to start from (default: baseline)")
    calibrate.add_argument("--name", default="", help="the new scenario's name (default: from the file name)")
    calibrate.add_argument(
        "--strict",
        action="store_true",
        help="refuse (exit 2, nothing written) when an invoice looks implausible, instead of warning",
    )
    follow = commands.add_parser(
        "followup",
        help="follow up a budget: paid so far, the rest of the year, the expected year-end",
        description="Budget follow-up (budgetopfølgning): from the invoices paid so far (the file `sapa calibrate` "
        "reads), per budget line the budget, paid to date, the expected rest of the year and year-end (forventet "
        "regnskab), and the deviation from the budget split into price, population and months. Without KOMMUNE, "
        "a file with several municipalities gives the national table, sorted by deviation.",
    )
    follow.add_argument(
        "kommune", nargs="?", default="", metavar="KOMMUNE", help="name or code (default: all in the file)"
    )
    follow.add_argument(
        "--invoices", type=Path, required=True, metavar="FILE", help="CSV or XLSX file of invoices paid"
    )
    follow.add_argument("--year", type=whole, default=None, metavar="YEAR", help="default: the latest year in the file")
    follow.add_argument("--as-of", default="", metavar="YYYY-MM-DD", help="default: the end of the last month invoiced")
    follow.add_argument(
        "--budget", default="", metavar="SCENARIO", help="the scenario the budget was made with (default: baseline)"
    )
    follow.add_argument("--unit", type=whole, default=1, choices=(1, 1000), help="1 (kroner, default) or 1000")
    follow.add_argument("--all", action="store_true", help="the national table even for one municipality")
    _accept_option(follow)
    explore = commands.add_parser(
        "explore",
        help="serve the live scenario explorer (Voilà)",
        description="Serve the scenario explorer as a web app: one kernel per visitor, idle kernels culled, a cap "
        "on kernels, only the host names given. By default only this machine can reach it (127.0.0.1).",
    )
    explore.add_argument(
        "--host",
        default="127.0.0.1",
        help="IP address to listen on (default: 127.0.0.1, this machine only; another one is warned about)",
    )
    explore.add_argument("--port", type=whole, default=8866, help="port, 1-65535 (default: 8866)")
    explore.add_argument(
        "--max-kernels",
        type=whole,
        default=4,
        metavar="N",
        help="visitors at once, 1-64; one more is asked to come back (default: 4, ~150 MB each)",
    )
    explore.add_argument(
        "--idle-minutes",
        type=decimal,
        default=15,
        metavar="MINUTES",
        help="a visitor's kernel is shut down after this long without use, 1-1440 (default: 15); the kernel of a "
        "closed page at once",
    )
    explore.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a host name visitors use (e.g. the reverse proxy's); repeatable",
    )
    return parser


def _accept_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--accept-warnings",
        action="store_true",
        help="follow up with invoices the calibration finds implausible (a price jump, moms, months missing); "
        "by default they are refused",
    )


def _explore(args: argparse.Namespace) -> int:
    from .app.serve import serve

    serve(args.host, args.port, args.max_kernels, args.idle_minutes, args.allow_host)
    return 0


def _budget_options(parser: argparse.ArgumentParser, unit_help: str) -> None:
    parser.add_argument(
        "--budget-year",
        type=whole,
        default=None,
        metavar="YEAR",
        help="the budget year, shown with its three overslagsår (default: the year after today, or "
        "after SOURCE_DATE_EPOCH)",
    )
    parser.add_argument("--unit", type=whole, default=None, choices=(1, 1000), help=unit_help)
    parser.add_argument(
        "--prices",
        type=whole,
        default=None,
        metavar="YEAR",
        help="state amounts in this year's price level (needs a price index in the scenario); "
        "default: current prices, as invoiced",
    )


def _basis(args: argparse.Namespace, scenario):
    """The budget year and the basis (unit, price level) the options ask for, checked against the scenario."""
    from .analysis.budget import Basis, check_budget_year

    return check_budget_year(args.budget_year, scenario.params), Basis(args.unit or 1, args.prices).check(
        scenario.params
    )


def _reports(args: argparse.Namespace) -> int:
    from .data import datasets
    from .data.names import resolve_codes
    from .report.build import (
        Settings,
        build,
        followup_jobs,
        kommune_jobs,
        national_jobs,
        short_enough_temporary_folder,
        writable_folder,
    )
    from .scenarios import load_scenario

    # Every option is checked before any work starts.
    if args.jobs < 1:
        raise SapaError(f"--jobs must be 1 or more, not {args.jobs}")
    short_enough_temporary_folder()
    codes = resolve_codes(args.kommune) if args.kommune else list(datasets.municipalities().index)
    scenario = os.path.abspath(args.scenario) if args.scenario else ""  # the workers run elsewhere
    loaded = load_scenario(scenario or None)
    budget_year, _ = _basis(args, loaded)
    workers = usable_workers(args.jobs, int(loaded.params.value("montecarlo.draws")))
    if workers < args.jobs:
        say(f"sapa: bruger {workers} arbejdsprocesser (maskinens kerner og ledige hukommelse)", file=sys.stderr)
    settings = Settings(scenario, budget_year, args.unit, args.prices, args.shared_assets)
    followed: list[int] = []
    if (args.as_of or args.accept_warnings) and not args.followup:
        raise SapaError("--as-of and --accept-warnings belong to a follow-up: give the invoice file with --followup")
    if args.followup:  # every invoice is checked now: a bad file stops the build before any work
        from .analysis.followup import followup_all

        invoices = Path(args.followup).resolve()
        table = followup_all(
            invoices, None, args.as_of or None, load_scenario(scenario or None), not args.accept_warnings
        )
        followed = sorted(table.attrs["municipalities"])
        _all_followed(codes if args.kommune else [], followed, invoices.name, table.attrs["year"])
        codes = codes if args.kommune else followed
        settings = replace(
            settings,
            followup=str(invoices),
            followup_year=table.attrs["year"],
            as_of=table.attrs["as_of"].isoformat(),
            accept_warnings=args.accept_warnings,
            followed=tuple(followed),
        )
    out = writable_folder(args.out)
    full = not args.kommune and not args.followup
    jobs = (national_jobs() if (args.national or full) else []) + kommune_jobs(codes)
    if followed:
        jobs += followup_jobs([c for c in codes if c in followed], len(followed), settings)
    outcomes = build(out, jobs, settings, workers=workers, timeout=args.timeout, progress=not args.quiet, prune=full)
    failed = [o for o in outcomes if o.error]
    built = len(outcomes) - len(failed)
    say(f"{built} rapporter bygget i {out}/ (åbn {out / 'index.html'})", file=sys.stderr)
    if failed:
        say(f"{counted(len(failed), 'rapport', 'rapporter')} fejlede:", file=sys.stderr)
        for outcome in failed:
            say(f"  {outcome.job.output}: {outcome.error}", file=sys.stderr)
        return 1
    return 0


def _all_followed(asked: list[int], followed: list[int], file: str, year: int) -> None:
    """SapaError naming each municipality asked for (--kommune) that the invoice file has no follow-up for, and the
    municipalities it has (at most NAMES_SHOWN of them, the rest counted)."""
    from .data.datasets import municipalities

    names = municipalities()["kommune"]
    missing = [str(names[c]) for c in asked if c not in followed]
    if not missing:
        return
    held = [str(names[c]) for c in followed]
    if len(held) > NAMES_SHOWN:
        shown = f"{', '.join(held[:NAMES_SHOWN])} and {len(held) - NAMES_SHOWN} more"
    else:
        shown = f"{', '.join(held[:-1])} and {held[-1]}" if len(held) > 1 else held[0]
    named = ", ".join(missing[:NAMES_SHOWN]) + (" …" if len(missing) > NAMES_SHOWN else "")
    raise SapaError(
        f"--kommune {named}: {file} has no invoices for {'it' if len(missing) == 1 else 'them'} in {year}, only for "
        f"{shown}; give a municipality the file has, or build {named} without --followup"
    )


def _budget(args: argparse.Namespace) -> int:
    from .analysis.budget import budget_years, express
    from .analysis.lines import budget_lines
    from .data.names import municipality
    from .engine import compute
    from .scenarios import load_scenario
    from .views import fmt, terms
    from .views.labels import STATUS_SHORT
    from .views.presentation import carried_forward, unsourced_values
    from .views.tables import lines_table

    scenario = load_scenario(args.scenario or None)
    budget_year, basis = _basis(args, scenario)
    years = budget_years(budget_year)
    if args.years:
        match = re.fullmatch(r"\s*([0-9]{4})\s*-\s*([0-9]{4})\s*", args.years)
        if not match:
            raise SapaError(f"--years must look like FIRST-LAST, e.g. 2019-2026, not {echo(args.years)}")
        years = list(range(int(match.group(1)), int(match.group(2)) + 1))
    place = municipality(args.kommune)
    table = express(compute(scenario, years), basis, scenario.params)
    mine = table[table["kommunekode"] == place.code]
    lines = lines_table(budget_lines(table, place.code), basis.unit).rename_axis("År")
    marks = _marks(mine)
    status = mine.groupby(["year", "model"], observed=True)["status"].max().unstack()
    shown = lines.map(fmt.num).assign(
        **{"Grundlag, ny": status["new"].map(STATUS_SHORT), "Grundlag, gammel": status["old"].map(STATUS_SHORT)},
        Mærker=lines.index.map(marks),
    )
    say(f"{place.name} ({place.code}), {terms.caption(basis, scenario.params)}. Scenarie: {scenario.name}.")
    if not args.years:
        say(f"Budget {budget_year} og overslagsår {years[1]}-{years[-1]}; historik med --years.")
    say(shown.to_string())
    say(f"\n{terms.rounding_note(basis.unit)}")
    say(terms.price_basis_text(basis, scenario.params, carried_forward(scenario, table)))
    say(
        "Mærker: F = fremskrevet indbyggertal; V = pris videreført efter sidste kendte værdi; "
        "B = faktureringsstarten afhænger af en udledt bølgeplacering."
    )
    listed = unsourced_values(scenario, table.attrs["unsourced"])
    if len(listed):
        say("\nTallene bygger på disse værdier, der ikke er dokumenterede kilder (mindst sikre først):")
        say(listed[["Værdi", "Tal", "Grundlag"]].to_string(index=False))
    return 0


def _marks(rows) -> dict[int, str]:
    """Per year: F (projected population), V (a price carried forward), B (an inferred wave decides billing)."""
    by_year = rows.groupby("year").agg(
        projected=("population_projected", "any"),
        carried=("extrapolated", lambda v: (v.astype(str) != "").any()),
        wave=("wave_inferred", "any"),
    )
    return {
        int(year): " ".join(m for m, on in zip("FVB", flags) if on)
        for year, flags in zip(by_year.index, by_year.itertuples(index=False))
    }


def _calibrate(args: argparse.Namespace) -> int:
    from .analysis.followup import read_invoices
    from .errors import ScenarioError
    from .files import write_text
    from .scenarios import Scenario, load_scenario, scenario_from_data
    from .scenarios.calibration import unusable
    from .views.presentation import calibration_table, unsourced_values
    from .views.prose import finding

    if args.out.suffix.lower() not in (".yaml", ".yml"):
        raise SapaError(f"--out {args.out} must be a .yaml file (the scenario to write)")
    if args.out.is_dir():
        raise SapaError(f"--out {args.out} is a folder; give the scenario file to write, e.g. min.yaml")
    base = load_scenario(args.scenario or None)
    observations, file = read_invoices(args.file)  # every bad row named at once, as `sapa followup` names them
    name = args.name.strip() or f"Kalibreret fra {file}"
    own = f"Priser løst fra fakturaerne i {file}."
    scenario = Scenario(  # the start scenario with the file's invoices added, each still named by its row
        name=name,
        description=f"{base.description} {own}" if base.parameters or base.calibration else own,
        parameters=base.parameters,
        source=base.source,
        calibration=(*base.calibration, *observations),
    )
    try:
        solved = scenario.calibrated
    except ScenarioError as exc:  # invoices the model cannot place, or that disagree: the file named, not a scenario
        raise SapaError(unusable(f"{file} cannot be used", exc)) from None
    assert solved is not None
    params = scenario.params
    say(f"Kalibreret fra {counted(len(solved.residuals), 'faktura', 'fakturaer')} i {args.file.name}.\n")
    say("Løste værdier:")
    say(unsourced_values(scenario, sorted(solved.parameters))[["Værdi", "Tal"]].to_string(index=False))
    for item in [f for f in solved.findings if f not in solved.warnings]:
        say(f"  {finding(item, params)}")
    say("\nFakturaerne mod modellen (kr.):")
    say(calibration_table(solved).to_string(index=False))
    if solved.warnings:
        say("\nAdvarsler: tjek disse fakturaer, før tallene bruges i et budget:")
        for item in solved.warnings:
            say(f"  - {finding(item, params)}")
        if args.strict:
            say(f"\nIntet er skrevet (--strict): {counted(len(solved.warnings), 'advarsel', 'advarsler')}.")
            return 2
    kept = scenario_from_data(
        {
            "name": name,
            "description": scenario.description,
            "parameters": scenario.parameters,
            "calibration": [o.as_data() for o in scenario.calibration],
        }
    )
    try:
        write_text(args.out, kept.to_yaml(folder=args.out.absolute().parent))
    except OSError as exc:  # a full disk, a read-only folder: the temporary file is gone, the target untouched
        raise SapaError(f"cannot write {args.out}: {exc.strerror or exc}; nothing was written") from None
    command = sys.argv[0] if Path(sys.argv[0]).name == "sapa" else "sapa"  # as the user ran it, e.g. .venv/bin/sapa
    say(f"\nSkrevet: {args.out}. Byg rapporterne med: {command} reports --scenario {args.out}")
    return 0


def _followup(args: argparse.Namespace) -> int:
    from .analysis.followup import followup, followup_all, read_invoices
    from .data.names import resolve_code
    from .scenarios import load_scenario
    from .views import followup as show

    budget = load_scenario(args.budget or None)
    strict, as_of = not args.accept_warnings, args.as_of or None
    if args.kommune and args.all:
        raise SapaError("give KOMMUNE for one municipality or --all for every one in the file, not both")
    code = resolve_code(args.kommune) if args.kommune else None  # an unknown name stops here, before the file
    if code is None and not args.all:
        in_file = {o.kommunekode for o in read_invoices(args.invoices)[0]}
        code = in_file.pop() if len(in_file) == 1 else None  # one municipality in the file: its own follow-up
    if code is None:
        table = followup_all(args.invoices, args.year, as_of, budget, strict)
        say(show.national_answer(table) + "\n")
        year, date = table.attrs["year"], table.attrs["as_of"]
        say(
            f"Budgetopfølgning {year} pr. {show.fmt.date(date)}, {show.caption(args.unit, budget.params)}. "
            f"Budget: scenariet {budget.name}. Sorteret efter afvigelsen, størst overskridelse først."
        )
        shown = show.national_table(table, args.unit)
        say(show.formatted(shown.drop(columns=show.PRICE)).to_string(index=False))
        say(f"\n{show.rounding_note(args.unit)} »I alt« er summen af kommunerne.")
        say(show.parts_note())
        return 0
    result = followup(code, args.invoices, args.year, as_of, budget, strict)
    say(show.answer(result) + "\n")
    say(f"{show.title(result)}, {show.caption(args.unit, budget.params)}. Budget: scenariet {budget.name}.")
    say(show.formatted(show.table(result, args.unit)).to_string())
    say(f"\nAfvigelsen forklaret ({show.caption(args.unit, budget.params)}):")
    say(show.formatted(show.explained(result, args.unit)).to_string())
    say(f"\n{show.rounding_note(args.unit)}")
    say(show.parts_note())
    say("\nGrundlag:")
    for text in [*show.resting(result), show.population_note(result), *show.notes(result, budget.params)]:
        say(f"  - {text}")
    listed = show.values(result, budget)
    if len(listed):
        say("\nTallene bygger på disse værdier, der ikke er dokumenterede kilder (mindst sikre først):")
        say(listed[["Værdi", "Tal", "Grundlag"]].to_string(index=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `sapa` console script. Ctrl-C at any moment, also while the libraries load, ends it
    with a line, never a trace; output read by a command that stops reading (`sapa budget Aarhus | head -1`) ends
    it quietly with PIPE_CLOSED."""
    try:
        try:
            return _run(argv)
        finally:  # what is still buffered (also after --help), while a reader that has gone can be answered here
            sys.stdout.flush()
    except KeyboardInterrupt:
        say("sapa: afbrudt; ingen halvt skrevne filer er efterladt", file=sys.stderr)
        return 130
    except BrokenPipeError:
        closed = _closed_outputs()
        if not closed:  # another pipe (not stdout or stderr) broke: a fault to show, not a reader gone
            raise
        devnull = os.open(os.devnull, os.O_WRONLY)
        for descriptor in closed:  # so that nothing written later, nor the final flush, fails again
            os.dup2(devnull, descriptor)
        return PIPE_CLOSED


def _closed_outputs() -> list[int]:
    """The descriptors of stdout and stderr that are pipes whose reader has gone (poll() reports an error)."""
    import select

    poller = select.poll()
    for stream in (sys.stdout, sys.stderr):
        try:
            poller.register(stream.fileno(), select.POLLOUT)
        except (AttributeError, ValueError, OSError):  # replaced by an object without a descriptor, or closed
            continue
    return [descriptor for descriptor, events in poller.poll(0) if events & select.POLLERR]


def _run(argv: list[str] | None) -> int:
    import warnings

    from .errors import ParameterExtrapolationWarning

    warnings.simplefilter("ignore", ParameterExtrapolationWarning)  # every report and table lists them
    args = _parser().parse_args(argv)

    def terminate(*_):
        raise Terminated

    if args.command != "explore":  # Voilà handles its own signals
        signal.signal(signal.SIGTERM, terminate)  # as from timeout, systemd or CI: stop now, leave nothing behind
    try:
        commands = {
            "reports": _reports,
            "budget": _budget,
            "calibrate": _calibrate,
            "followup": _followup,
            "explore": _explore,
        }
        return commands[args.command](args)
    except SapaError as exc:
        say(f"sapa: error: {as_option(exc, '--accept-warnings')}", file=sys.stderr)
        return 2
    except Terminated:
        say(
            "sapa: stoppet (SIGTERM); ingen halvt skrevne filer eller arbejdsprocesser er efterladt",
            file=sys.stderr,
        )
        return 143


if __name__ == "__main__":
    sys.exit(main())
