"""`make mutation`: mutate the pricing rules, the scenarios and the engine's risk with mutmut, run the unit and
property tests that reach each mutant, and print the survivors and the score per module.

    python tests/mutation/run.py                                  # a fresh run, then the report
    python tests/mutation/run.py --report                         # the report of the last run only
    python tests/mutation/run.py --only 'sapa_model.rules.knee*'  # rerun some mutants (e.g. after a new test)

A survivor is a change to the code that no test notices: write a test that does, or, if the change cannot alter
what the code does, list it in tests/mutation/EQUIVALENT.md with the reason. The score counts killed mutants
(a test failed or timed out) over all mutants, and over all but the listed equivalent ones.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MUTANTS = ROOT / "mutants"
EQUIVALENT = Path(__file__).with_name("EQUIVALENT.md")
# What is mutated: mutmut's mutant names, as globs. The engine's risk is risk() and its helpers.
SCOPE = (
    "sapa_model.rules.*",
    "sapa_model.scenarios.*",
    "sapa_model.engine.x_risk__mutmut_*",
    "sapa_model.engine.x__spread__mutmut_*",
    "sapa_model.engine.x_quantiles__mutmut_*",
    "sapa_model.engine.x__timeline__mutmut_*",
)
KILLED = {1, 3, 24, -24, 36, 152, 255}  # a test failed, pytest broke, or the mutant ran past its time limit
STATUS = {0: "survived", 5: "no test", 33: "no test", None: "not run"}


def in_scope(name: str) -> bool:
    """Whether a mutant belongs to the modules this habit covers."""
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in SCOPE)


def results() -> dict[str, int | None]:
    """Every in-scope mutant of the last run and mutmut's exit code for it."""
    found: dict[str, int | None] = {}
    for meta in sorted(MUTANTS.glob("sapa_model/**/*.py.meta")):
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        found.update({name: code for name, code in codes.items() if in_scope(name)})
    return found


def module_of(name: str) -> str:
    """'sapa_model.rules.knee.x_weighted__mutmut_4' -> 'sapa_model/rules/knee.py'."""
    return name.split(".x", 1)[0].replace(".", "/") + ".py"


def equivalent() -> dict[str, str]:
    """The survivors listed as equivalent, by mutant name: '- `name`: reason' lines of EQUIVALENT.md."""
    listed = re.findall(r"^- `([^`]+)`[^:]*:\s*(.+)$", EQUIVALENT.read_text(encoding="utf-8"), flags=re.M)
    return dict(listed)


def change(name: str) -> str:
    """The mutated line(s), as '- old / + new'."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    try:
        diff = get_diff_for_mutant(name, path=module_of(name))  # relative to ROOT, as mutmut reads it
    except Exception as exc:  # the diff is a courtesy; the name is what counts
        return f"(no diff: {exc})"
    lines = [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    return " / ".join(" ".join(line.split()) for line in lines)


def report() -> int:
    """Print the survivors and the score per module; exit status 0 (a score is information, not a verdict)."""
    found = results()
    if not found:
        print("No mutation results: run `make mutation` first.")
        return 1
    listed = equivalent()
    per_module: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # killed, total, equivalent
    survivors, not_run = [], 0
    for name, code in sorted(found.items()):
        counts = per_module[module_of(name)]
        counts[1] += 1
        if code is None:
            not_run += 1
        elif code in KILLED:
            counts[0] += 1
        elif name in listed:
            counts[2] += 1
        else:
            survivors.append((name, STATUS.get(code, f"exit code {code}")))
    print(f"\nSurvivors not listed in {EQUIVALENT.relative_to(ROOT)} ({len(survivors)}):")
    for name, status in survivors:
        print(f"  {name} [{status}]: {change(name)}")
    if not_run:
        print(f"\n{not_run} mutants were not run (an interrupted run): they count as not killed.")
    stale = sorted(n for n in listed if found.get(n, 1) in KILLED or n not in found)
    if stale:
        print(f"\nListed as equivalent but killed or gone (remove them from {EQUIVALENT.name}):")
        print("".join(f"  {n}\n" for n in stale), end="")
    print(f"\n{'module':40} {'killed':>7} {'total':>6} {'score':>7} {'equivalent':>11} {'without them':>13}")
    totals = [0, 0, 0]
    for module, (killed, total, same) in sorted(per_module.items()):
        totals = [a + b for a, b in zip(totals, (killed, total, same))]
        print(_line(module, killed, total, same))
    print(_line("all", *totals))
    return 0


def _line(label: str, killed: int, total: int, same: int) -> str:
    return f"{label:40} {killed:7} {total:6} {killed / total:7.1%} {same:11} {killed / max(total - same, 1):13.1%}"


def run_mutmut(patterns: tuple[str, ...] = SCOPE) -> None:
    """mutmut run over SCOPE on 2 workers, without mutating string literals: here they are parameter names (a
    changed one fails on its first use) and message text (checked by the tests' message matches), and a mutant
    per word of a message would cost minutes and say little."""
    import mutmut.mutation.mutators as mutators
    from mutmut.__main__ import cli

    mutators.mutation_operators[:] = [op for op in mutators.mutation_operators if op[1] is not mutators.operator_string]
    cli.main(["run", "--max-children", "2", *patterns], prog_name="mutmut", standalone_mode=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", action="store_true", help="only print the report of the last run")
    parser.add_argument("--only", nargs="+", metavar="GLOB", help="rerun only these mutants of the last run")
    args = parser.parse_args()
    os.chdir(ROOT)
    if args.only:
        run_mutmut(tuple(args.only))
    elif not args.report:
        shutil.rmtree(MUTANTS, ignore_errors=True)  # a fresh run: no result of older code or tests is reused
        started = time.monotonic()
        run_mutmut()
        print(f"\nmutmut ran for {(time.monotonic() - started) / 60:.1f} minutes")
    return report()


if __name__ == "__main__":
    sys.exit(main())
