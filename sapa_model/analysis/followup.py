"""Budget follow-up (budgetopfølgning): the year in progress, from the invoices paid so far to the expected year-end
(forventet regnskab), against the budget, line by line, with the deviation split into price, population and timing.

Per budget line of the new model (SAPA, infrastructure, buffet, KMD Sag, and the total):

- **budget**: the budget scenario's figure for the year, on the population it rested on when it was adopted (the
  autumn before: projected from the observed years up to the year before);
- **paid**: the municipality's invoices for the year up to the as-of date (monthly rows, or rows with `months`);
- **rest**: every billed month not paid yet (outstanding months before the as-of date included) at the price the
  paid invoices imply, solved by the calibration's rules from the budget scenario and these invoices; where a line
  has no invoice yet, at the budget's price (on the observed population);
- **year_end** = paid + rest; **deviation** = year_end - budget, split into
  **population** (the budget's prices on the observed population instead of the projected one),
  **timing** (months billed that the budget had not, or the reverse, at the budget's monthly amount; KMD Sag still
  paid after the budget had it switched off is all timing) and **price** (the rest: the implied price against the
  budget's, on the observed population and the year-end's months).

Amounts are kroner to the øre (current prices, moms as vat.basis says), worked in whole øre so that every identity
holds exactly: paid + rest = year_end, year_end - budget = deviation, price + population + timing = deviation.
No Danish text here; views/ words the result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..components import NAMES as COMPONENTS
from ..data import datasets
from ..data import population as people
from ..data.names import resolve_code
from ..engine import FLAGGED, compute, first_billing_year, last_model_year, run
from ..errors import ACCEPT_WARNINGS, PROBLEM_LIMIT, FollowupError, ScenarioError, echo, refusal
from ..parameters import STATUSES
from ..scenarios import Scenario, load_scenario
from ..scenarios.calibration import (
    PRICED,
    Finding,
    Observation,
    Where,
    combine_invoices,
    covered,
    looks_like,
    parse_observations,
    read_observations,
    unusable,
)
from .budget import round_half_away, vat_included
from .outlook import billed_inhabitants, population_factor, population_method

LINES = (*COMPONENTS, "total")  # the rows of a follow-up, in order
PARTS = ("price", "population", "timing")  # the deviation, explained: they add up to it
AMOUNTS = ("budget", "budget_to_date", "paid", "rest", "year_end", "deviation", *PARTS)  # kroner
# What a line's rest of the year rests on: its own invoices, the budget's price (no invoice yet), nothing billed;
# the total: all, none or some of its billed lines invoiced.
BASES = ("invoiced", "budget_price", "not_billed", "partly_invoiced")
# The plausibility warnings that stop a follow-up (strict): 'single' does not, as one municipality's own invoices
# are always the only ones for its payments.
REFUSED = ("jump", "knee_band", "looks_like")
InvoicesLike = str | Path | Iterable[Mapping] | Iterable[Observation]


def _refuse(head: str, problems: list[str]) -> FollowupError:
    """One line for one problem; a heading and one line each for several."""
    return FollowupError(refusal(head, problems))


def read_invoices(invoices: InvoicesLike) -> tuple[list[Observation], str]:
    """The invoices (a CSV/XLSX file as `sapa calibrate` reads it, rows as mappings, or Observations) and the name
    messages give them; FollowupError lists every bad row (unknown municipality, months that overlap, …)."""
    if isinstance(invoices, (str, Path)):
        name = Path(invoices).name
        observations, problems = read_observations(invoices)
    else:
        items, name = list(invoices), "the invoices"
        if all(isinstance(i, Observation) for i in items):
            observations, problems = items, []  # type: ignore[assignment]
        else:
            observations, problems = parse_observations(items, "invoices")  # type: ignore[arg-type]
    problems += combine_invoices(observations)[1]
    if problems:
        raise _refuse(f"{name} cannot be used", problems)
    return observations, name


def as_of_date(value: object) -> dt.date:
    """An as-of date from a date or 'YYYY-MM-DD'; FollowupError says what would be right."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise FollowupError(f"the as-of date {echo(value)} is not a date; give YYYY-MM-DD, e.g. 2026-06-30") from None


def _year(observations: list[Observation], codes: set[int], year: object, as_of: dt.date | None, name: str) -> int:
    """The year followed up: as given, else the latest year the rows of these municipalities cover (up to the as-of
    date's year); FollowupError when there is none."""
    if year is None:
        held = sorted({o.year for o in observations if o.kommunekode in codes})
        years = [y for y in held if as_of is None or y <= as_of.year]
        if held and not years:
            raise FollowupError(
                f"the as-of date {as_of} is before {held[0]}, the first year {name} has rows for; give a date in the "
                "year followed up"
            )
        if not years:
            raise _no_rows(observations, codes, None, name)
        return max(years)
    if isinstance(year, bool) or not isinstance(year, (int, np.integer)):
        raise FollowupError(f"the year {echo(year)} is not a year; give it as a whole number, e.g. 2026")
    return int(year)


def _no_rows(observations: list[Observation], codes: set[int], year: int | None, name: str) -> FollowupError:
    """FollowupError: the file has no rows for the municipality (and year) asked, naming what it does have."""
    names = datasets.municipalities()["kommune"]
    asked = ", ".join(sorted(str(names[c]) for c in codes)) if len(codes) <= 3 else f"{len(codes)} municipalities"
    held = sorted({(str(names[o.kommunekode]), o.year) for o in observations})
    has = ", ".join(f"{k} {y}" for k, y in held[:PROBLEM_LIMIT]) + (" …" if len(held) > PROBLEM_LIMIT else "")
    return FollowupError(
        f"{name} has no rows for {asked}{f' in {year}' if year else ''}; it has rows for {has or 'nothing'}"
    )


@dataclass(frozen=True)
class Budget:
    """What every municipality's follow-up of one year against one budget shares."""

    scenario: Scenario
    year: int
    codes: np.ndarray  # (M,) municipality codes, as the engine orders them
    monthly: dict[str, np.ndarray]  # component -> (M, 12): the budget's prices on the observed population (kr.)
    factor: dict[str, np.ndarray]  # component -> (M,): the budget's billed inhabitants over the observed ones
    observed: np.ndarray  # (M,) population on 1 January (projected while it is not observed yet)
    budgeted: np.ndarray  # (M,) the population the budget rested on
    known: bool  # the population on 1 January of the year is observed
    table: pd.DataFrame  # compute(budget, [year]) without its attrs: statuses and what the figures rest on
    carried: dict  # compute()'s attrs['carried']: the prices carried forward, from which year
    vat: float  # 1.25 when amounts are stated with moms (vat.basis), else 1


def _has_budget(year: int, budget: Scenario) -> None:
    """FollowupError unless the model computes the year (it has a budget)."""
    first, last = first_billing_year(budget.params), last_model_year(budget.params)
    if not first <= year <= last:
        raise FollowupError(f"{year} has no budget: the model covers {first}-{last}")


def budget_for(budget: Scenario, year: int) -> Budget:
    """The budget scenario's year, for all municipalities: its monthly bills on the observed population and the
    population it rested on when adopted; FollowupError for a year the model has no budget for."""
    params = budget.params
    _has_budget(year, budget)
    bills, table = run(budget, [year]), compute(budget, [year])
    carried = table.attrs["carried"]
    row = 0  # the year's column in the grid
    observed = bills.grid.population[:, row]
    known = year <= people.last_observed_year()
    budgeted = (
        people.as_budgeted(year, population_method(params), int(params.value("projection.trend_years")))
        .reindex(bills.grid.codes)
        .to_numpy(dtype=float)
        if known
        else observed
    )
    return Budget(
        scenario=budget,
        year=year,
        codes=bills.grid.codes,
        monthly={c: bills.invoices[("new", c)] for c in COMPONENTS},
        factor={  # a payment not billed in the year (the infrastructure before it starts) has no knee to weigh with
            c: population_factor(c, observed, budgeted, params, year)
            if bills.invoices[("new", c)].any()
            else np.ones_like(observed)
            for c in COMPONENTS
        },
        observed=observed,
        budgeted=budgeted,
        known=known,
        carried=carried,
        table=_plain(table),
        vat=1 + float(params.value("vat.rate")) if vat_included(params) else 1.0,
    )


def _plain(table: pd.DataFrame) -> pd.DataFrame:
    """A compute() table without its attrs (pandas copies them into every slice taken of it)."""
    table.attrs = {}
    return table


def _periods(budget: Budget, row: int, rows: list[Observation]) -> dict[int, np.ndarray]:
    """The months of the year each invoice covers (12,) by id: the months its row names, else, in the order the
    rows are given, the line's next billed months (every month when the budget bills none, as for KMD Sag still
    paid after its switch-off)."""
    masks: dict[int, np.ndarray] = {}
    for component in COMPONENTS:
        billed = budget.monthly[component][row] > 0
        free = billed if billed.any() else np.ones(12, bool)
        for o in (o for o in rows if o.component == component):
            masks[id(o)] = covered(free, o)
            if not o.period:
                free = free & ~masks[id(o)]
    return masks


def _ore(kroner: float) -> int:
    """Kroner to whole øre, halves away from zero."""
    return int(round_half_away(kroner * 100))


def _describe(finding: Finding) -> str:
    """A plausibility warning in one English line (the views word it in Danish for the reports)."""
    v = finding.values
    what = {name: component for component, name in PRICED.items()}
    if finding.kind == "jump":
        return (
            f"the {what.get(v['parameter'], v['parameter'])} price {v['year']} would be {v['value']:.2f} kr., "
            f"{v['value'] / v['neighbour'] - 1:+.0%} from {v['neighbour_year']}'s {v['neighbour']:.2f} kr.; more "
            f"than {v['limit']:.0%} is implausible"
        )
    if finding.kind == "looks_like":
        like = {"moms": "1.25 times (moms?)", "month": "one month (months missing?) of", "half": "half (months?) of"}
        against = {
            "invoices": "the other invoices imply",
            "model": "the model's price gives",
            "budget": "the budget's prices give for the same months",
        }[v["against"]]
        return f"{v['where']}: the amount is about {like[v['kind']]} what {against}"
    rates = ", ".join(f"{r:.0%} in {y}" for y, r in v["rates"].items())
    return f"the knee rate the invoices imply ({rates}) is outside {v['low']:.0%}-{v['high']:.0%}"


def _about_year(finding: Finding, year: int) -> bool:
    """Whether a calibration finding is about the year followed up (not the budget's own invoices of other years)."""
    return finding.values.get("year") == year or year in finding.values.get("rates", {})


def joined_scenario(budget: Scenario, rows: Iterable[Observation]) -> Scenario:
    """The budget scenario with the invoices of the year followed up added to its own (solved when first used)."""
    rows = tuple(rows)
    years = sorted({o.year for o in rows})
    return Scenario(
        name=f"{budget.name} + fakturaer {', '.join(map(str, years))}",
        description=budget.description,
        parameters=budget.parameters,
        source=budget.source,
        calibration=(*budget.calibration, *rows),
    )


def _with_invoices(budget: Budget, code: int, rows: list[Observation], strict: bool):
    """The budget scenario with the municipality's invoices of the year, solved; FollowupError when they cannot be
    used, when the budget holds them already, or (strict) when they look implausible."""
    kommune = rows[0].kommune
    scenario = budget.scenario
    twice = [
        o
        for o in scenario.calibration
        if o.kommunekode == code and o.year == budget.year and o.component in {r.component for r in rows}
    ]
    if twice:
        raise FollowupError(
            f"the budget scenario {echo(scenario.name)} already holds {kommune}'s {budget.year} invoices "
            f"({', '.join(str(o.where) for o in twice[:3])}); follow up against the budget as it was adopted, a scenario "
            f"without the year's own invoices"
        )
    joined = joined_scenario(scenario, rows)
    try:
        solved = joined.calibrated
    except ScenarioError as exc:  # the calibration's own message: why, and the rows it names
        raise FollowupError(unusable(f"the invoices for {kommune} {budget.year} cannot be used", exc)) from None
    assert solved is not None
    findings = tuple(f for f in solved.findings if _about_year(f, budget.year))
    implausible = [f for f in findings if f.kind in REFUSED]
    if strict and implausible:
        raise _implausible(kommune, budget.year, implausible)
    return joined, findings


def _followup(budget: Budget, code: int, rows: list[Observation], as_of: dt.date, strict: bool) -> pd.DataFrame:
    """One municipality's follow-up (see followup())."""
    year, row = budget.year, int(np.searchsorted(budget.codes, code))
    to_date = 12 if as_of.year > year else as_of.month  # months of the year whose invoices may be in by as_of
    masks = _periods(budget, row, rows)
    late = [(o, _numbers(masks[id(o)][to_date:])) for o in rows if masks[id(o)][to_date:].any()]
    if late:
        raise _refuse(
            f"invoices after the as-of date {as_of.isoformat()}",
            [
                f"{o.where}: {o.kommune} {year} {o.component} covers {year}-{to_date + m[0]:02d}"
                + (f" to {year}-{to_date + m[-1]:02d}" if len(m) > 1 else "")
                for o, m in late
            ],
        )
    scenario, findings = _with_invoices(budget, code, rows, strict)
    bills, table = run(scenario, [year]), _plain(compute(scenario, [year]))
    status = {
        name: frame[(frame["kommunekode"] == code) & (frame["model"] == "new")].set_index("component")["status"]
        for name, frame in (("budget", budget.table), ("year_end", table))
    }
    records: list[dict] = []
    outstanding: dict[str, list[int]] = {}
    months: dict[str, dict[str, list[int]]] = {}
    by_month = {"budget": np.zeros(12), "paid": np.zeros(12), "rest": np.zeros(12)}  # every line together (kr.)
    for component in COMPONENTS:
        observed = budget.monthly[component][row] * budget.vat  # the budget's prices, observed population
        budgeted = observed * budget.factor[component][row]  # and the population the budget rested on
        expected = bills.invoices[("new", component)][row] * budget.vat  # at the invoices' price
        mine = [o for o in rows if o.component == component]
        paid_months = np.logical_or.reduce([masks[id(o)] for o in mine]) if mine else np.zeros(12, bool)
        rest_months = (expected > 0) & ~paid_months
        months_budget, months_end = int((budgeted > 0).sum()), int((paid_months | rest_months).sum())
        figures = {
            "budget": _ore(budgeted.sum()),
            "budget_to_date": _ore(budgeted[:to_date].sum()),
            "paid": sum(_ore(o.amount_dkk * budget.vat) for o in mine),
            "rest": _ore(expected[rest_months].sum()),
            "population": _ore(observed.sum()) - _ore(budgeted.sum()),
        }
        figures["year_end"] = figures["paid"] + figures["rest"]
        figures["deviation"] = figures["year_end"] - figures["budget"]
        # Months the year-end bills that the budget did not (or the reverse), at the budget's monthly amount; where
        # the budget bills nothing, all of the year-end is months it did not have.
        figures["timing"] = (
            _ore(observed.sum() / months_budget * (months_end - months_budget))
            if months_budget
            else figures["deviation"]
        )
        figures["price"] = figures["deviation"] - figures["population"] - figures["timing"]
        findings += _against_the_budget(budget, component, mine, observed[paid_months].sum(), findings)
        months[component] = {"paid": _numbers(paid_months), "rest": _numbers(rest_months)}
        by_month["budget"] += budgeted
        by_month["rest"] += np.where(rest_months, expected, 0.0)
        for o in mine:  # an invoice for several months counts evenly in each
            by_month["paid"] += masks[id(o)] * o.amount_dkk * budget.vat / masks[id(o)].sum()
        if mine and rest_months[:to_date].any():  # invoiced, but not every month up to the as-of date yet
            outstanding[component] = _numbers(rest_months[:to_date])
        per_inhabitant = component != "kmd_sag" and (months_budget > 0 or (expected > 0).any())
        inhabitants = (
            float(billed_inhabitants(component, budget.observed[row], budget.scenario.params, year))
            if per_inhabitant
            else 0.0
        )
        records.append(
            {
                "line": component,
                **figures,
                "months_budget": months_budget,
                "months_paid": int(paid_months.sum()),
                "months_rest": int(rest_months.sum()),
                "outstanding": len(outstanding.get(component, [])),
                "basis": "invoiced" if mine else "budget_price" if months_end or months_budget else "not_billed",
                "price_budget": observed.sum() * 12 / inhabitants / months_budget
                if inhabitants and months_budget
                else np.nan,
                "price_expected": expected.sum() * 12 / inhabitants / int((expected > 0).sum())
                if inhabitants and (expected > 0).any()
                else np.nan,
                "budget_status": str(status["budget"][component]),
                "year_end_status": str(status["year_end"][component]),
                "references": "; ".join(o.reference for o in mine),
            }
        )
    implausible = [f for f in findings if f.kind in REFUSED and f.values.get("against") == "budget"]
    if strict and implausible:
        raise _implausible(rows[0].kommune, year, implausible)
    return _framed(
        records, budget, code, rows, masks, as_of, to_date, findings, outstanding, months, by_month, table, strict
    )


def _against_the_budget(
    budget: Budget, component: str, mine: list[Observation], budgeted: float, findings: tuple
) -> tuple[Finding, ...]:
    """A 'looks_like' warning when a line's invoices come to about 1,25 times (moms), 1/12 or 1/2 of what the
    budget's prices give for the same months (on the observed population): the follow-up's own check, for a
    municipality whose invoices have no others of the year to be checked against. None when the calibration
    named the line's invoices already."""
    if not mine or _named(findings, component) or budgeted <= 0:
        return ()
    paid = sum(o.amount_dkk for o in mine) * budget.vat
    within = budget.scenario.params.value("calibration.ratio_tolerance")
    where = _where([o.where for o in mine])
    return tuple(looks_like(paid / budgeted, within, where, mine[0].kommune, budget.year, component, "budget"))


def _against_each_other(frames: list[pd.DataFrame], strict: bool, within: float) -> None:
    """The new model has one price for every municipality: a 'looks_like' warning for a municipality whose
    invoices imply about 1,25 times (moms), 1/12 or 1/2 of the price the other municipalities' invoices of the
    same line imply (their median). Strict: FollowupError naming each; else added to its attrs' findings."""
    prices = pd.DataFrame(
        [
            (f.attrs["kommunekode"], line, f.at[line, "price_expected"])
            for f in frames
            for line in f.index
            if f.at[line, "basis"] == "invoiced" and np.isfinite(f.at[line, "price_expected"])
        ],
        columns=["code", "line", "price"],
    )
    found: dict[int, list[Finding]] = {}
    for f in frames:
        code = f.attrs["kommunekode"]
        for line, price in prices[prices["code"] == code][["line", "price"]].itertuples(False):
            others = prices[(prices["line"] == line) & (prices["code"] != code)]["price"]
            if others.empty or _named(f.attrs["findings"], line):
                continue
            where = _where([i["where"] for i in f.attrs["invoices"] if i["component"] == line])
            slips = looks_like(
                price / others.median(), within, where, f.attrs["kommune"], f.attrs["year"], line, "invoices"
            )
            if slips:
                found.setdefault(code, []).extend(slips)
    if strict and found:
        raise FollowupError(
            "\n".join(
                str(_implausible(f.attrs["kommune"], f.attrs["year"], found[f.attrs["kommunekode"]]))
                for f in frames
                if f.attrs["kommunekode"] in found
            )
        )
    for f in frames:
        extra = tuple(found.get(f.attrs["kommunekode"], ()))
        f.attrs["findings"] = (*f.attrs["findings"], *extra)
        f.attrs["accepted_warnings"] = (*f.attrs["accepted_warnings"], *extra)


def _named(findings: Iterable[Finding], component: str) -> bool:
    """Whether a line's invoices have a 'looks_like' warning already (one is enough)."""
    return any(f.kind == "looks_like" and f.values.get("component") == component for f in findings)


def _where(rows: list[Where]) -> Where:
    """Where a line's invoices are: the first one's row, and how many other rows."""
    return replace(rows[0], others=len(rows) - 1)


def _implausible(kommune: str, year: int, findings: list[Finding]) -> FollowupError:
    """The refusal of invoices that imply implausible prices, naming each warning."""
    return _refuse(
        f"the invoices for {kommune} {year} imply implausible prices (check moms and months; if the amounts are "
        f"right, follow up with {ACCEPT_WARNINGS})",
        [_describe(f) for f in findings],
    )


def _numbers(mask: np.ndarray) -> list[int]:
    """The months (1 = January) a month mask holds."""
    return [int(m) + 1 for m in np.flatnonzero(mask)]


def _framed(
    records: list[dict],
    budget: Budget,
    code: int,
    rows: list[Observation],
    masks: dict[int, np.ndarray],
    as_of: dt.date,
    to_date: int,
    findings: tuple[Finding, ...],
    outstanding: dict[str, list[int]],
    months: dict[str, dict[str, list[int]]],
    by_month: dict[str, np.ndarray],
    table: pd.DataFrame,
    strict: bool,
) -> pd.DataFrame:
    """The lines and their total as a table in kroner, with what they rest on in attrs."""
    frame = pd.DataFrame(records).set_index("line")
    billed = frame[frame["basis"] != "not_billed"]
    invoiced = (billed["basis"] == "invoiced").sum()
    total = {
        **{a: int(frame[a].sum()) for a in AMOUNTS},
        "basis": "invoiced" if invoiced == len(billed) else "budget_price" if invoiced == 0 else "partly_invoiced",
        "budget_status": max(frame["budget_status"], key=STATUSES.index),
        "year_end_status": max(frame["year_end_status"], key=STATUSES.index),
        "references": "",
    }
    frame.loc["total"] = pd.Series(total)
    for column in ("months_budget", "months_paid", "months_rest", "outstanding"):
        frame[column] = frame[column].astype("Int64")
    frame[list(AMOUNTS)] = frame[list(AMOUNTS)].astype("int64") / 100
    frame["deviation_pct"] = frame["deviation"] / frame["budget"].where(frame["budget"] != 0)
    first = [*AMOUNTS[:6], "deviation_pct", *PARTS]
    frame = frame[[*first, *(c for c in frame.columns if c not in first)]].rename_axis("line")
    row = int(np.searchsorted(budget.codes, code))
    params = budget.scenario.params
    frame.attrs = {
        "kommunekode": int(code),
        "kommune": str(datasets.municipalities().loc[code, "kommune"]),
        "year": budget.year,
        "as_of": as_of,
        "months_to_date": to_date,
        "budget": budget.scenario.name,
        "budget_source": budget.scenario.source,
        "population": {
            "budget": int(budget.budgeted[row]),
            "observed": int(budget.observed[row]),
            "known": budget.known,
            "method": population_method(params),
            "from_year": budget.year - 1 if budget.known else None,
        },
        "observations": tuple(rows),  # the invoices used (joined_scenario(budget, these) is the year-end's scenario)
        "findings": findings,
        "accepted_warnings": tuple(f for f in findings if f.kind in REFUSED) if not strict else (),
        "invoices": [
            {
                "where": o.where,
                "component": o.component,
                "months": _numbers(masks[id(o)]),
                "amount_dkk": o.amount_dkk,
                "reference": o.reference,
            }
            for o in rows
        ],
        "outstanding": outstanding,
        "months": months,
        # every line together per month of the year (kr.): the budget, paid (an invoice for several months evenly
        # in each), and the rest expected
        "by_month": {k: [float(v) for v in values] for k, values in by_month.items()},
        "unsourced": _rest_on(code, budget.table, table),
        "carried": budget.carried,
        "vat_included": budget.vat != 1,
    }
    return frame


def _rest_on(codes: int | list[int], *tables: pd.DataFrame) -> list[str]:
    """The values (parameter names) municipalities' new-model figures in compute() tables rest on that are not
    documented sources."""
    names: set[str] = set()
    for table in tables:
        rows = table[table["kommunekode"].isin(np.atleast_1d(codes)) & (table["model"] == "new")]
        for column in FLAGGED:
            names |= {n for cell in rows[column].astype(str) for n in cell.split(", ") if n}
    return sorted(names)


def _as_of(given: object, year: int, masks: Iterable[np.ndarray]) -> dt.date:
    """The as-of date: as given (not before the year), else the last day of the last month the invoices cover."""
    if given is not None and given != "":
        as_of = as_of_date(given)
        if as_of < dt.date(year, 1, 1):
            raise FollowupError(f"the as-of date {as_of.isoformat()} is before {year}, the year followed up")
        return as_of
    last = max((int(np.flatnonzero(m)[-1]) + 1 for m in masks if m.any()), default=12)
    return (pd.Timestamp(year=year, month=last, day=1) + pd.offsets.MonthEnd(0)).date()


def _today() -> dt.date:
    """Today's date (no invoice may be for a later month, no as-of date later)."""
    return dt.date.today()


def _prepared(invoices: InvoicesLike, codes: set[int] | None, year, as_of, budget):
    """The rows of the year per municipality (all in the file when codes is None), their budget and as-of date."""
    scenario = load_scenario(budget)
    observations, name = read_invoices(invoices)
    given = None if as_of is None or as_of == "" else as_of_date(as_of)
    codes = {o.kommunekode for o in observations} if codes is None else codes
    chosen = _year(observations, codes, year, given, name)
    _has_budget(chosen, scenario)
    rows = {c: [o for o in observations if o.kommunekode == c and o.year == chosen] for c in sorted(codes)}
    rows = {c: r for c, r in rows.items() if r}
    if not rows:
        raise _no_rows(observations, codes, chosen, name)
    year_budget = budget_for(scenario, chosen)
    starts: list[tuple[Observation, int]] = []  # each invoice and the first month it covers (1 = January)
    masks = []
    for c, r in rows.items():
        mine = _periods(year_budget, int(np.searchsorted(year_budget.codes, c)), r)
        masks += list(mine.values())
        starts += [(o, int(np.flatnonzero(mine[id(o)])[0]) + 1) for o in r if mine[id(o)].any()]
    today = _today()
    ahead = [
        f"{o.where}: {o.kommune} {chosen} {o.component} from {chosen}-{first:02d}"
        for o, first in starts
        if dt.date(chosen, first, 1) > today
    ]
    if ahead:
        raise _refuse(
            f"invoices for a month that has not begun (today is {today.isoformat()}; is the year right?)", ahead
        )
    date = _as_of(as_of, chosen, masks)
    if given is not None and date > today:
        raise FollowupError(
            f"the as-of date {date.isoformat()} is after today ({today.isoformat()}); a follow-up is of the invoices "
            "received so far: give a date up to today"
        )
    return rows, year_budget, date


def followup(
    kommune: str | int,
    invoices: InvoicesLike,
    year: int | None = None,
    as_of: dt.date | str | None = None,
    budget: Scenario | str | Path | None = None,
    strict: bool = True,
) -> pd.DataFrame:
    """A municipality's budget follow-up for a year (kr.): per line (LINES) the budget, budget_to_date, paid,
    rest, year_end, deviation (kr.) and deviation_pct (a share), the deviation's parts price, population and timing,
    the months budgeted, paid, still to come and outstanding (months up to the as-of date a line with invoices has
    no invoice for yet, expected with the rest), what each line rests on (`basis`, one of BASES; the least certain status of the budget
    and of the year-end), and the prices per (knee-weighted) inhabitant a year of the budget and of the year-end.

    `invoices`: a CSV/XLSX file as `sapa calibrate` reads it (kommune, year, component, amount_dkk, months, month,
    reference), or its rows. `year`: default the latest the municipality's rows cover. `as_of`: default the end of
    the last month invoiced. `budget`: the scenario the budget was made with (default the baseline). `strict`:
    refuse invoices the calibration finds implausible. attrs: the municipality, year, as-of date, population (the
    budget's and the observed), the invoices used and the months they cover, the calibration's findings, the
    outstanding months, and the values the figures rest on. FollowupError names whatever cannot be used.
    """
    code = resolve_code(kommune)
    rows, year_budget, date = _prepared(invoices, {code}, year, as_of, budget)
    return _followup(year_budget, code, rows[code], date, strict)


def followup_all(
    invoices: InvoicesLike,
    year: int | None = None,
    as_of: dt.date | str | None = None,
    budget: Scenario | str | Path | None = None,
    strict: bool = True,
) -> pd.DataFrame:
    """Every municipality in the invoice file followed up for the same year and as-of date (default: the latest
    year in the file, the end of the last month any of them has invoiced): followup()'s lines for each, with
    kommunekode and kommune in front. attrs: year, as_of, budget, and per municipality its followup() attrs
    (`municipalities`). FollowupError lists every municipality's problems at once."""
    rows, year_budget, date = _prepared(invoices, None, year, as_of, budget)
    frames, problems = [], []
    for code, mine in rows.items():
        try:
            frames.append(_followup(year_budget, code, mine, date, strict))
        except FollowupError as exc:
            problems += str(exc).splitlines()
    if problems:
        raise FollowupError("\n".join(problems))
    _against_each_other(frames, strict, year_budget.scenario.params.value("calibration.ratio_tolerance"))
    table = pd.concat(
        [f.reset_index().assign(kommunekode=f.attrs["kommunekode"], kommune=f.attrs["kommune"]) for f in frames],
        ignore_index=True,
    )
    table = table[["kommunekode", "kommune", *[c for c in table.columns if c not in ("kommunekode", "kommune")]]]
    table.attrs = {
        "year": year_budget.year,
        "as_of": date,
        "budget": year_budget.scenario.name,
        "municipalities": {f.attrs["kommunekode"]: f.attrs for f in frames},
        # what the budget rests on (each municipality's own invoices: in its own attrs)
        "unsourced": _rest_on(list(rows), year_budget.table),
        "carried": year_budget.carried,
    }
    return table


def rounded(result: pd.DataFrame, unit: int = 1) -> pd.DataFrame:
    """A follow-up's amounts (AMOUNTS, per line) rounded to the unit (1: kroner, 1000: 1.000 kr.) so that the table
    adds up as shown: the budget, budget to date, paid, year-end, population and timing are each rounded, the rest
    is year-end - paid, the deviation year-end - budget, the price part what is left of it, the total the sum of
    the lines; deviation_pct as the amounts themselves give it (not as rounded to 1.000 kr.)."""
    lines = result.loc[list(COMPONENTS)]
    shown = round_half_away(lines[["budget", "budget_to_date", "paid", "year_end", "population", "timing"]] / unit)
    shown["rest"] = shown["year_end"] - shown["paid"]
    shown["deviation"] = shown["year_end"] - shown["budget"]
    shown["price"] = shown["deviation"] - shown["population"] - shown["timing"]
    shown.loc["total"] = shown.sum()
    shown = shown[list(AMOUNTS)].astype("int64")
    shown["deviation_pct"] = result.loc[list(LINES), "deviation_pct"]  # of the amounts themselves, not as rounded
    return shown


def ranking(table: pd.DataFrame, unit: int = 1) -> pd.DataFrame:
    """The national follow-up (followup_all()) as one row per municipality: its total, rounded as its own
    follow-up rounds it (rounded()), with its SAPA price per knee-weighted inhabitant (budget and expected) and how
    many of its billed lines are invoiced; sorted by deviation, the largest overrun first."""
    rows = []
    for (code, kommune), lines in table.groupby(["kommunekode", "kommune"], sort=False):
        one = lines.set_index("line")
        total = rounded(one, unit).loc["total"]
        billed = one.loc[list(COMPONENTS), "basis"] != "not_billed"
        rows.append(
            {
                "kommunekode": code,
                "kommune": kommune,
                **total.to_dict(),
                "basis": one.loc["total", "basis"],
                "lines_invoiced": int((one.loc[list(COMPONENTS), "basis"] == "invoiced").sum()),
                "lines_billed": int(billed.sum()),
                "sapa_price_budget": one.loc["sapa", "price_budget"],
                "sapa_price_expected": one.loc["sapa", "price_expected"],
            }
        )
    frame = pd.DataFrame(rows)
    return frame.sort_values(["deviation", "kommunekode"], ascending=[False, True], ignore_index=True)
