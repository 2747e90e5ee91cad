"""The `sapa` command: build the reports (and print a municipality's budget)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .errors import SapaError


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
    reports.add_argument("--out", default="reports", type=Path, metavar="DIR", help="output folder (default: reports)")
    reports.add_argument(
        "--jobs",
        type=int,
        default=min(2, os.cpu_count() or 1),
        metavar="N",
        help="parallel workers, each with its own kernel (default: 2)",
    )
    reports.add_argument(
        "--timeout", type=float, default=300, metavar="SECONDS", help="time limit per report (default: 300)"
    )
    reports.add_argument("--quiet", action="store_true", help="no progress bar")
    budget = commands.add_parser(
        "budget",
        help="print one municipality's budget lines",
        description="Print a municipality's yearly budget lines under both models.",
    )
    budget.add_argument("kommune", metavar="NAME_OR_CODE")
    budget.add_argument("--scenario", default="", metavar="FILE")
    budget.add_argument("--years", default="", metavar="FIRST-LAST", help="default: the model's default years")
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
    return parser


def _reports(args: argparse.Namespace) -> int:
    from .data import datasets
    from .data.names import resolve_codes
    from .report.build import build, kommune_jobs, national_jobs
    from .scenarios import load_scenario

    # Every option is checked before any work starts.
    if args.jobs < 1:
        raise SapaError(f"--jobs must be 1 or more, not {args.jobs}")
    if args.timeout <= 0:
        raise SapaError(f"--timeout must be a positive number of seconds, not {args.timeout}")
    codes = resolve_codes(args.kommune) if args.kommune else list(datasets.municipalities().index)
    scenario = str(Path(args.scenario).resolve()) if args.scenario else ""
    load_scenario(scenario or None)
    if args.out.exists() and not args.out.is_dir():
        raise SapaError(f"--out {args.out} is a file; give a folder")
    jobs = (national_jobs() if (args.national or not args.kommune) else []) + kommune_jobs(codes)
    outcomes = build(args.out, jobs, scenario, workers=args.jobs, timeout=args.timeout, progress=not args.quiet)
    failed = [o for o in outcomes if o.error]
    built = len(outcomes) - len(failed)
    print(f"{built} rapporter bygget i {args.out}/ (åbn {args.out / 'index.html'})", file=sys.stderr)
    if failed:
        print(f"{len(failed)} rapport(er) fejlede:", file=sys.stderr)
        for outcome in failed:
            print(f"  {outcome.job.output}: {outcome.error}", file=sys.stderr)
        return 1
    return 0


def _budget(args: argparse.Namespace) -> int:
    from .data.names import municipality
    from .engine import compute
    from .views import fmt
    from .views.analysis import budget_lines, lines_table

    years = None
    if args.years:
        try:
            first, last = (int(y) for y in args.years.split("-"))
        except ValueError:
            raise SapaError(f"--years must look like FIRST-LAST, e.g. 2019-2030, not {args.years!r}") from None
        years = range(first, last + 1)
    place = municipality(args.kommune)
    table = compute(args.scenario or None, years)
    lines = lines_table(budget_lines(table, place.code)).rename_axis("År")
    print(f"{place.name} ({place.code}), kr. pr. år. Scenarie: {args.scenario or 'basis'}.")
    print(lines.map(lambda v: fmt.num(v)).to_string())
    if table.attrs["illustrative"]:
        print(f"\nIllustrative tal: bygger på pladsholdere ({', '.join(table.attrs['illustrative'])}).")
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from .files import write_text
    from .scenarios import combine, load_scenario, scenario_from_data
    from .views.presentation import basis, calibration_table

    if args.out.suffix.lower() not in (".yaml", ".yml"):
        raise SapaError(f"--out {args.out} must be a .yaml file (the scenario to write)")
    if args.out.is_dir():
        raise SapaError(f"--out {args.out} is a folder; give the scenario file to write, e.g. min.yaml")
    base = load_scenario(args.scenario or None)
    name = args.name.strip() or f"Kalibreret fra {args.file.name}"
    invoices = scenario_from_data(
        {
            "name": name,
            "description": f"Priser løst fra fakturaerne i {args.file.name}.",
            "calibration_file": str(args.file.resolve()),
        }
    )
    scenario = combine(base, invoices) if base.parameters else invoices
    solved = scenario.calibrated
    assert solved is not None
    print(f"Kalibreret fra {len(solved.residuals)} faktura(er) i {args.file.name}.\n")
    print("Løste værdier:")
    print(basis(scenario, sorted(solved.parameters))[["Værdi", "Tal"]].to_string(index=False))
    for note in solved.notes:
        print(f"Bemærk: {note}")
    print("\nFakturaerne mod modellen (kr.):")
    print(calibration_table(solved).to_string(index=False))
    kept = scenario_from_data(
        {
            "name": name,
            "description": scenario.description,
            "parameters": scenario.parameters,
            "calibration": [o.as_data() for o in scenario.calibration],
        }
    )
    write_text(args.out, kept.to_yaml())
    print(f"\nSkrevet: {args.out}. Byg rapporterne med: sapa reports --scenario {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `sapa` console script."""
    import warnings

    from .errors import ParameterExtrapolationWarning

    warnings.simplefilter("ignore", ParameterExtrapolationWarning)  # every report and table lists them
    args = _parser().parse_args(argv)
    try:
        return {"reports": _reports, "budget": _budget, "calibrate": _calibrate}[args.command](args)
    except SapaError as exc:
        print(f"sapa: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sapa: afbrudt; ingen halvt skrevne filer er efterladt", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
