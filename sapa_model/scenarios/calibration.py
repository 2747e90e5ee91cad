"""Calibration: turn the invoices a municipality already holds into the model's real figures.

Under the new model every municipality pays the same price per knee-weighted inhabitant in a calendar
year, so one SAPA invoice fixes that year's price for all 98; invoices from municipalities on both sides
of the knee also fix the knee rate; a municipality's own KMD Sag payment fixes its KMD Sag starting
payment (or, where the model has KMD Sag switched off, what it still pays). Infrastructure and buffet
invoices fix the prices of years that have no documented or announced price; where a year has one, they are
checked against it. The solve uses the model's own rules (population on 1 January, months billed, the knee),
so the calibrated model reproduces every invoice. Where invoices over-determine a value and disagree beyond
the tolerance, nothing is applied and the message names them; invoices that fit but look implausible are
named as findings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..components import NAMES as COMPONENTS
from ..data.datasets import municipalities
from ..data.names import resolve_code
from ..data.tables import number, read_user_table, whole_number
from ..errors import PROBLEM_LIMIT, ScenarioError, UnknownMunicipalityError, counted, echo, listing, refusal
from ..parameters import Parameter, ParameterSet, as_day, baseline, merge_values
from ..rules.buffet import buffet_price, buffet_units
from ..rules.events import effective_months, staircase
from ..rules.grid import Grid, first_billing_year, last_model_year
from ..rules.infrastructure import infrastructure_price, infrastructure_units
from ..rules.kmd_sag import OWN, PAID, per_krone
from ..rules.new_model import billed_units, derived_price, known_price
from ..rules.old_model import sapa_old
from ..rules.prices import PricePath

FIELDS = ("kommune", "year", "component", "amount_dkk", "months", "month", "reference")
TOLERANCE_DKK, TOLERANCE_SHARE = 1.0, 0.005  # an invoice is reproduced when within 1 kr. or 0,5 %, the larger
MAX_OBSERVATIONS = 2_000
RATE_ROUNDING = 1e-9  # how far the least-squares solve may put a knee rate of exactly 0 or 1 outside 0-1
UNUSABLE = "the invoices cannot be used:"  # the heading of the solve's refusal of invoices it cannot place
MAX_AMOUNT_DKK = 1e9  # an invoice of a municipality for one year of one component is far below a billion kroner


def unusable(head: str, exc: ScenarioError) -> str:
    """The solve's refusal under the caller's heading ('f.csv cannot be used', 'the invoices for Læsø 2026 cannot be
    used'), as errors.refusal() lays it out: its reason, then the rows it names."""
    text = str(exc)
    if text.startswith(UNUSABLE):  # only rows, each with its reason
        return refusal(head, [line.strip() for line in text.removeprefix(UNUSABLE).strip().splitlines()])
    why, *rows = text.splitlines()
    return refusal(f"{head}: {why.rstrip(':')}", [r.strip() for r in rows]) if rows else refusal(head, [why])


def tolerance(amount: float | np.ndarray) -> float | np.ndarray:
    """How far a modelled amount may be from an invoice (kr.): 1 kr. or 0,5 % of it, whichever is larger."""
    return np.maximum(TOLERANCE_DKK, TOLERANCE_SHARE * np.abs(amount))


@dataclass(frozen=True)
class Where:
    """Where an observation comes from: a file's row or an item of a scenario's list (its number, and how many others
    were added to it). str() names it as the English messages do, 'fakturaer.csv, row 4 and 2 other rows'; views/
    names it in Danish."""

    source: str  # the file's name, or the list's ('calibration')
    number: int  # the row a spreadsheet shows, or the item's number from 1
    row: bool = True  # a file's row, or an item of a list
    others: int = 0  # rows (items) added up with it

    def __str__(self) -> str:
        first = f"{self.source}, row {self.number}" if self.row else f"{self.source} item {self.number}"
        noun = ("other row", "other rows") if self.row else ("other item", "other items")
        return f"{first} and {counted(self.others, *noun)}" if self.others else first


@dataclass(frozen=True)
class Observation:
    """One amount paid: by whom, for which year and component, covering how many months, and from where."""

    kommunekode: int
    year: int
    component: str
    amount_dkk: float
    months: int | None
    reference: str
    where: Where  # 'fakturaer.csv, row 4' or 'calibration item 2', for messages
    period: tuple[int, ...] = ()  # the months of the year it covers (1 = January), when the row says (`month`)

    @property
    def kommune(self) -> str:
        return str(municipalities().loc[self.kommunekode, "kommune"])

    def as_data(self) -> dict:
        """The observation as a scenario file writes it."""
        data = {"kommune": self.kommune, "year": self.year, "component": self.component, "amount_dkk": self.amount_dkk}
        if self.months is not None:
            data["months"] = self.months
        if self.period:
            data["month"] = self.period[0]
        return {**data, "reference": self.reference}


def _one_to_twelve(value: object) -> int:
    """A month's number or a count of months: a whole number from 1 to 12 (ValueError otherwise)."""
    number = whole_number(value)
    if not 1 <= number <= 12:
        raise ValueError(f"{number} is outside 1-12")
    return number


def parse_observations(rows: Iterable[Mapping], where: str) -> tuple[list[Observation], list[str]]:
    """Observations from mappings (a scenario's `calibration:` list or a file's rows), and every problem
    found in them, each naming where it is (file and row)."""
    observations, problems = [], []
    for number_, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            problems.append(f"{where} item {number_}: expected kommune, year, component, amount_dkk, reference")
            continue
        line = row.get("row")  # a file's row number (a list's item may carry anything there)
        at = (
            Where(where, line) if isinstance(line, int) and not isinstance(line, bool) else Where(where, number_, False)
        )
        unknown = [str(k) for k in row if k not in (*FIELDS, "row")]
        if unknown:
            problems.append(
                f"{at}: unknown field(s) {', '.join(map(echo, unknown))}; the fields are {', '.join(FIELDS)}"
            )
            continue
        found = []
        try:
            code = resolve_code(row.get("kommune", ""))
        except UnknownMunicipalityError as exc:
            found.append(str(exc))
        try:
            year = whole_number(row.get("year", ""))
        except ValueError:
            found.append(f"year {echo(row.get('year'))} is not a year")
        component = str(row.get("component", "")).strip().lower()
        if component not in COMPONENTS:
            found.append(f"component {echo(row.get('component'))} must be one of {', '.join(COMPONENTS)}")
        try:
            amount = number(row.get("amount_dkk", ""))
            if not 0 < amount <= MAX_AMOUNT_DKK:
                found.append(
                    f"amount_dkk {echo(row.get('amount_dkk'))} must be a positive amount in kroner of at most "
                    f"{MAX_AMOUNT_DKK:,.0f} kr.".replace(",", ".")
                )
        except ValueError as exc:
            found.append(f"amount_dkk: {exc}")
        months = row.get("months")
        if months not in (None, ""):
            try:
                months = _one_to_twelve(months)
            except ValueError:
                found.append(f"months {echo(row.get('months'))} must be a whole number of months from 1 to 12")
        else:
            months = None
        period: tuple[int, ...] = ()
        first = row.get("month")
        if first not in (None, ""):
            try:
                first = _one_to_twelve(first)
                span = months if isinstance(months, int) else 1  # a month without months: that month alone
                if first + span - 1 > 12:
                    found.append(f"month {first} and months {span} run past December; an invoice covers one year")
                months, period = span, tuple(range(first, first + span))
            except ValueError:
                found.append(f"month {echo(row.get('month'))} must be the first month covered, 1 (January) to 12")
        reference = str(row.get("reference") or "").strip()
        if not reference:
            found.append("reference is missing; say where the amount comes from (e.g. the invoice number)")
        if found:
            problems += [f"{at}: {p}" for p in found]
            continue
        observations.append(Observation(code, year, component, amount, months, reference[:200], at, period))
    if len(observations) > MAX_OBSERVATIONS:
        problems.append(f"{where}: more than {MAX_OBSERVATIONS} observations")
    return observations, problems


def combine_invoices(observations: list[Observation]) -> tuple[list[Observation], list[str]]:
    """Invoices of the same municipality, year and component summed into one (monthly invoices may be entered a
    row per month), and a problem for every group that cannot be: a row without months among several, the
    same reference twice, more than 12 months in all, the month given on some rows only, two rows covering the
    same month."""
    groups: dict[tuple, list[Observation]] = {}
    for o in observations:
        groups.setdefault((o.kommunekode, o.year, o.component), []).append(o)
    combined, problems = [], []
    for group in groups.values():
        first = group[0]
        if len(group) == 1:
            combined.append(first)
            continue
        where = dataclasses.replace(first.where, others=len(group) - 1)
        references = [o.reference for o in group]
        twice = sorted({r for r in references if references.count(r) > 1})
        if twice:
            problems.append(
                f"{where}: {first.kommune} {first.year} {first.component}: invoice {echo(twice[0])} is given twice"
            )
        elif any(o.months is None for o in group):
            problems.append(
                f"{where}: {first.kommune} {first.year} {first.component} has several invoices; give months on "
                "each row (1 for a monthly invoice), so they can be added up"
            )
        elif sum(o.months or 0 for o in group) > 12:
            problems.append(f"{where}: {first.kommune} {first.year} {first.component} adds up to more than 12 months")
        elif any(o.period for o in group) and not all(o.period for o in group):
            problems.append(
                f"{where}: {first.kommune} {first.year} {first.component}: give month on every row or on none"
            )
        elif overlap := _overlap(group):
            problems.append(overlap)
        else:
            combined.append(
                Observation(
                    first.kommunekode,
                    first.year,
                    first.component,
                    sum(o.amount_dkk for o in group),
                    sum(o.months or 0 for o in group),
                    "; ".join(references)[:200],
                    where,
                    tuple(sorted(m for o in group for m in o.period)),
                )
            )
    return combined, problems


def _overlap(group: list[Observation]) -> str:
    """A problem naming the first two rows of a group that cover the same month ('' when none do)."""
    seen: dict[int, Observation] = {}
    for o in group:
        for m in o.period:
            if m in seen:
                return (
                    f"{seen[m].where} and {o.where}: {o.kommune} {o.year} {o.component}: both cover "
                    f"{o.year}-{m:02d}; each month may be invoiced once"
                )
            seen[m] = o
    return ""


def read_observations(path: str | Path) -> tuple[list[Observation], list[str]]:
    """Observations from a CSV or XLSX file (columns kommune, year, component, amount_dkk, optional months and
    month (the first month covered), reference; semicolon or comma separated, decimal comma or point)."""
    frame = read_user_table(
        path,
        {
            "kommune": ("kommunekode", "kommunenavn"),
            "year": ("år", "aar"),
            "component": ("komponent",),
            "amount_dkk": ("beløb", "beloeb", "amount", "beløb (kr.)"),
        },
        "invoice file",
        optional={
            "months": ("måneder", "maaneder"),
            "month": ("måned", "maaned", "første måned"),
            "reference": ("reference", "kilde", "bilag"),
        },
    )
    if frame.empty:
        return [], [f"{Path(path).name} has no invoices, only its header; add one row each"]
    return parse_observations(frame.to_dict("records"), Path(path).name)


@dataclass(frozen=True)
class Finding:
    """Something a calibration noticed, with the values a sentence about it needs (views/ words it in Danish).

    kinds: 'replaces' (a solved value and the one it replaced), 'rates_differ' (each year keeps its own knee
    rate), and the plausibility warnings 'single' (an unknown fixed by one invoice, nothing to check it
    against), 'jump' (a price far from a neighbouring known year's), 'knee_band' (a knee rate outside the
    plausible band), 'looks_like' (an amount close to 1,25x, 1/12 or 1/2 of what the rest imply)."""

    kind: str
    values: dict = field(default_factory=dict)


WARNINGS = ("single", "jump", "knee_band", "looks_like")
PRICED = {  # the components whose price invoices fix: their own price parameters
    "sapa": "sapa.price.calibrated",
    "infrastructure": "infrastructure.price_calibrated",
    "buffet": "buffet.price_calibrated",
}


@dataclass(frozen=True)
class Calibration:
    """What the invoices fixed: the parameters solved (status 'calibrated'), each invoice against the model, and
    what the solve noticed (the values replaced, and warnings about implausible invoices)."""

    parameters: dict[str, Parameter]
    residuals: pd.DataFrame  # one row per (combined) invoice: kommune, year, component, amount, modelled, residual
    findings: tuple[Finding, ...]

    @property
    def warnings(self) -> tuple[Finding, ...]:
        """The findings that say an invoice may be wrong (sapa calibrate --strict refuses them)."""
        return tuple(f for f in self.findings if f.kind in WARNINGS)

    def apply(self, params: ParameterSet) -> ParameterSet:
        """The parameter set with the solved values in place."""
        return params.with_values(self.parameters)


def _first_months(mask: np.ndarray, months: int | None) -> np.ndarray:
    """The first `months` True entries of a month mask (all of them when months is None)."""
    return mask & (np.cumsum(mask) <= (mask.sum() if months is None else months))


def covered(billed: np.ndarray, observation: Observation) -> np.ndarray:
    """The months of its year an invoice covers, as a mask over the year's billed months (12,): the months its
    rows name (`month`), else the first `months` billed months (all of them without months)."""
    if observation.period:
        return np.isin(np.arange(1, 13), observation.period)
    return _first_months(billed, observation.months)


def _before(params: ParameterSet) -> dict[str, PricePath]:
    """The prices the model has before the invoices, every year it covers: SAPA's known ones, the infrastructure's
    and the buffet's."""
    years = list(range(first_billing_year(params), last_model_year(params) + 1))
    return {
        "sapa": known_price(params, years),
        "infrastructure": infrastructure_price(params, years),
        "buffet": buffet_price(params, years),
    }


def solve(params: ParameterSet, observations: list[Observation]) -> Calibration:
    """Solve the prices of the years the invoices cover that have no documented or announced price (SAPA,
    infrastructure, buffet), the knee rate (when both sides of the knee are observed in a year) and each observed
    municipality's KMD Sag starting payment (or, where the model has KMD Sag switched off, what it still pays);
    check the invoices of years whose price is documented or announced. ScenarioError lists every bad row, or
    names the invoices that disagree."""
    observations, problems = combine_invoices(observations)
    first, last = first_billing_year(params), last_model_year(params)
    problems += [
        f"{o.where}: year {o.year} is outside the years the model covers, {first}-{last}"
        for o in observations
        if not first <= o.year <= last
    ]
    if problems:
        raise ScenarioError(f"{UNUSABLE}\n{listing(problems)}")
    years = sorted({o.year for o in observations})
    grid = Grid.build(params, years)
    before = _before(params)
    rate = params.parameters["sapa.knee.rate"]
    at_rate = {
        r: billed_units(
            dataclasses.replace(
                grid,
                params=params.with_values(
                    {"sapa.knee.rate": dataclasses.replace(rate, dates=rate.dates[:1], values=(float(r),))}
                ),
            )
        )
        for r in (0, 1)
    }
    infrastructure = before["infrastructure"]
    infrastructure_month = np.nan_to_num(infrastructure.values[[infrastructure.years.index(y) for y in grid.years]])[
        grid.year_index
    ]
    kmd = per_krone(grid, effective_months(params))[grid.wave_index]
    per_unit = {  # what one unit of the unknown (price, starting payment) gives per month
        "sapa": at_rate[0],
        "kmd_sag": kmd,
        "infrastructure": infrastructure_units(grid, infrastructure_month),
        "buffet": buffet_units(grid),
    }
    rows = []
    for o in observations:
        m, y = int(np.searchsorted(grid.codes, o.kommunekode)), years.index(o.year)
        in_year = grid.year_index == y
        # KMD Sag invoiced where the model has it switched off: the invoice says what is still paid that year.
        paid = o.component == "kmd_sag" and not (in_year & (kmd[m] > 0)).any()
        billed = in_year if paid else in_year & (per_unit[o.component][m] > 0)
        if not billed.any():
            problems.append(f"{o.where}: {o.component} is not billed to {o.kommune} in {o.year} in this model")
            continue
        if o.months is not None and o.months > billed.sum():
            problems.append(
                f"{o.where}: {o.kommune} is billed {o.component} for {billed.sum()} months in {o.year}, not {o.months}"
            )
            continue
        months = np.zeros_like(billed)
        months[in_year] = covered(billed[in_year], o)
        if (months & ~billed).any():
            month = int(np.argmax(months & ~billed)) % 12 + 1  # the grid has 12 months a year, in order
            problems.append(f"{o.where}: {o.kommune} is not billed {o.component} in {o.year}-{month:02d} in this model")
            continue
        rows.append(
            {
                "observation": o,
                "m": m,
                "months": int(months.sum()),
                "paid": paid,
                "u0": months.sum() / 12 if paid else per_unit[o.component][m, months].sum(),
                "u1": at_rate[1][m, months].sum() if o.component == "sapa" else 0.0,
            }
        )
    if problems:
        raise ScenarioError(f"{UNUSABLE}\n{listing(problems)}")
    solved: dict[str, Parameter] = {}
    findings: list[Finding] = []
    modelled: dict[int, float] = {}
    units = {id(r): r["u0"] for r in rows}  # what the solved value is multiplied by
    sapa = [r for r in rows if r["observation"].component == "sapa"]
    if sapa:
        common, rates, prices = _solve_sapa(sapa, params, findings)
        announced = params["sapa.price.per_inhabitant"].by_year()
        prices = {y: announced.get(y, p) for y, p in prices.items()}  # a year KOMBIT announced is checked, not solved
        solved.update(
            _sapa_parameters(params, common, rates, {y: p for y, p in prices.items() if y not in announced}, sapa)
        )
        for r in sapa:
            y = r["observation"].year
            units[id(r)] = r["u0"] + rates.get(y, _rate_in(params, y)) * (r["u1"] - r["u0"])
            modelled[id(r)] = prices[y] * units[id(r)]
        _check_rates(params, common, rates, sapa, findings)
    for component in ("infrastructure", "buffet"):
        mine = [r for r in rows if r["observation"].component == component]
        prices = _solve_price(component, mine, before[component], solved)
        modelled.update({id(r): prices[r["observation"].year] * r["u0"] for r in mine})
    for code in sorted({r["observation"].kommunekode for r in rows if r["observation"].component == "kmd_sag"}):
        own = [r for r in rows if r["observation"].component == "kmd_sag" and r["observation"].kommunekode == code]
        modelled.update(_solve_kmd_sag(own, solved, findings))
    residuals = _residuals(rows, modelled, units)
    _refuse_disagreement(residuals)
    _replaced(grid, before, solved, findings)
    _plausibility(params, grid, rows, solved, before, findings)
    return Calibration(solved, residuals, tuple(findings))


def _rate_in(params: ParameterSet, year: int) -> float:
    return float(params.value("sapa.knee.rate", f"{year}-01-01"))


def _solve_sapa(rows: list[dict], params: ParameterSet, findings: list[Finding]):
    """(one knee rate for all years, or None), the rate used per year, and the price per year.

    amount = price x (u0 + rate x (u1 - u0)): u0 the units with no weight beyond the knee, u1 - u0 the
    inhabitants beyond it (x months / 12). A year with invoices on both sides of the knee fixes price and
    price x rate by least squares; one rate holds for all years unless the years' own rates disagree beyond
    the tolerance (then each such year keeps its own). Without such a year the rate stays as it is.
    """
    by_year: dict[int, list[dict]] = {}
    for r in rows:
        by_year.setdefault(r["observation"].year, []).append(r)
    own_rates = {}
    for year, group in by_year.items():
        beyond = np.array([r["u1"] - r["u0"] for r in group])
        if (beyond > 0).any() and (beyond == 0).any():
            design = np.array([[r["u0"], r["u1"] - r["u0"]] for r in group])
            amounts = np.array([r["observation"].amount_dkk for r in group])
            (price, price_beyond), *_ = np.linalg.lstsq(design, amounts, rcond=None)
            own_rates[year] = price_beyond / price if price > 0 else np.nan
    bad = {y: r for y, r in own_rates.items() if not -RATE_ROUNDING <= r <= 1 + RATE_ROUNDING}
    if bad:
        raise ScenarioError(
            "the SAPA invoices imply a knee rate outside 0-1 (a share of the price): "
            + ", ".join(f"{y}: {r:.3g}" for y, r in sorted(bad.items()))
            + "; check that the amounts cover the same things"
        )
    own_rates = {y: min(max(r, 0.0), 1.0) for y, r in own_rates.items()}  # 0 and 1 themselves, not a hair beyond

    def prices_for(rates: Mapping[int, float]) -> dict[int, float]:
        return {
            y: sum(r["observation"].amount_dkk for r in g)
            / sum(r["u0"] + rates.get(y, _rate_in(params, y)) * (r["u1"] - r["u0"]) for r in g)
            for y, g in by_year.items()
        }

    def fits(rates: Mapping[int, float]) -> bool:
        prices = prices_for(rates)
        return all(
            abs(r["observation"].amount_dkk - prices[y] * (r["u0"] + rates[y] * (r["u1"] - r["u0"])))
            <= tolerance(r["observation"].amount_dkk)
            for y, g in by_year.items()
            for r in g
        )

    if not own_rates:
        return None, {}, prices_for({})
    common = float(np.mean(list(own_rates.values())))
    rates = dict.fromkeys(by_year, common)
    if len(own_rates) == 1 or fits(rates):
        return common, rates, prices_for(rates)
    findings.append(Finding("rates_differ", {"rates": dict(sorted(own_rates.items()))}))
    rates = {y: own_rates.get(y, _rate_in(params, y)) for y in by_year}
    return None, rates, prices_for(rates)


def _solve_price(component: str, rows: list[dict], before: PricePath, solved: dict[str, Parameter]) -> dict[int, float]:
    """The price per year of the infrastructure or the buffet: documented or announced where the year has one
    (the invoices are then checked against it), else solved from the year's invoices (calibrated)."""
    known = {y for y, k in zip(before.years, before.known_from) if y == k}
    prices: dict[int, float] = {}
    for year in sorted({r["observation"].year for r in rows}):
        group = [r for r in rows if r["observation"].year == year]
        if year in known:
            prices[year] = float(before.values[before.years.index(year)])
        else:
            prices[year] = sum(r["observation"].amount_dkk for r in group) / sum(r["u0"] for r in group)
    fitted = {y: p for y, p in prices.items() if y not in known}
    if fitted:
        template = baseline()[PRICED[component]]
        solved[PRICED[component]] = merge_values(
            dataclasses.replace(template, dates=(), values=()),
            {as_day(f"{y}-01-01", template.name): p for y, p in fitted.items()},
            status="calibrated",
            reference=_reference(rows, fitted),
        )
    return prices


def _solve_kmd_sag(rows: list[dict], solved: dict[str, Parameter], findings: list[Finding]) -> dict[int, float]:
    """A municipality's KMD Sag: its starting payment from the invoices of years the model bills it, and what it
    still pays in years the model has it switched off; the modelled amount of each invoice."""
    modelled: dict[int, float] = {}
    billed = [r for r in rows if not r["paid"]]
    if billed:
        payment = sum(r["observation"].amount_dkk for r in billed) / sum(r["u0"] for r in billed)
        solved[f"{OWN}{billed[0]['observation'].kommunekode}"] = _own_kmd_sag(billed, payment)
        modelled.update({id(r): payment * r["u0"] for r in billed})
    paid = [r for r in rows if r["paid"]]
    if paid:
        first = paid[0]["observation"]
        yearly = {r["observation"].year: r["observation"].amount_dkk / r["u0"] for r in paid}
        solved[f"{PAID}{first.kommunekode}"] = _municipal(
            first,
            PAID,
            label=f"KMD Sag betalt af {first.kommune}, efter modellens slukning",
            description=f"What {first.kommune} paid for KMD Sag a year, from its invoices of years the model has KMD "
            "Sag switched off: the switch-off date is a placeholder, the invoice is not.",
            reference=_reference(paid, yearly),
            values={as_day(f"{y}-01-01", ""): float(v) for y, v in sorted(yearly.items())},
            replaces=tuple(n for n in baseline() if n.startswith(("kmd_sag.", "old_model.events."))),
        )
        modelled.update({id(r): r["observation"].amount_dkk for r in paid})
    return modelled


def _check_rates(
    params: ParameterSet, common: float | None, rates: dict[int, float], rows: list[dict], findings: list[Finding]
) -> None:
    """A 'knee_band' warning for a solved knee rate outside the plausible band."""
    low, high = params.value("calibration.knee_rate_low"), params.value("calibration.knee_rate_high")
    solved = {y: r for y, r in rates.items() if common is not None or r != _rate_in(params, y)}
    outside = {y: r for y, r in solved.items() if not low <= r <= high}
    if outside:
        findings.append(Finding("knee_band", {"rates": outside, "low": low, "high": high}))


def _plausibility(
    params: ParameterSet,
    grid: Grid,
    rows: list[dict],
    solved: dict[str, Parameter],
    before: dict[str, PricePath],
    findings: list[Finding],
) -> None:
    """Warnings about invoices that may be wrong: unknowns fixed by one invoice alone, solved prices far from a
    neighbouring known year's, amounts that look like moms, one month or half a year of what the rest imply."""
    for component, name in PRICED.items():
        mine = [r for r in rows if r["observation"].component == component]
        solved_years = solved[name].by_year() if name in solved else {}
        for year, value in solved_years.items():
            group = [r["observation"] for r in mine if r["observation"].year == year]
            if len(group) == 1:
                findings.append(Finding("single", {"parameter": name, "year": year, "where": group[0].where}))
            _jump(params, name, year, float(value), before[component], solved_years, findings)
        _looks_like(params, grid, component, mine, before[component], findings)
    if "sapa.knee.rate" in solved:
        sides = [r for r in rows if r["observation"].component == "sapa"]
        if len(sides) == 2:
            findings.append(
                Finding("single", {"parameter": "sapa.knee.rate", "year": None, "where": sides[0]["observation"].where})
            )
    for name, parameter in solved.items():
        if parameter.kommunekode is not None:
            used = [
                r
                for r in rows
                if r["observation"].component == "kmd_sag" and r["observation"].kommunekode == parameter.kommunekode
            ]
            if len(used) == 1:
                findings.append(
                    Finding("single", {"parameter": name, "year": None, "where": used[0]["observation"].where})
                )


def _jump(
    params: ParameterSet,
    name: str,
    year: int,
    value: float,
    before: PricePath,
    solved_years: dict[int, float],
    findings: list[Finding],
) -> None:
    """A 'jump' warning when a solved price differs from the nearest known price of a neighbouring year (announced,
    documented or solved from other invoices) by more than calibration.plausible_change."""
    known = {y: float(v) for y, v, k in zip(before.years, before.values, before.known_from) if y == k}
    known |= {y: float(v) for y, v in solved_years.items() if y != year}
    limit = params.value("calibration.plausible_change")
    for neighbour in (
        max((y for y in known if y < year), default=None),
        min((y for y in known if y > year), default=None),
    ):
        if neighbour is not None and known[neighbour] > 0 and abs(value / known[neighbour] - 1) > limit:
            findings.append(
                Finding(
                    "jump",
                    {
                        "parameter": name,
                        "year": year,
                        "value": value,
                        "neighbour_year": neighbour,
                        "neighbour": known[neighbour],
                        "limit": limit,
                    },
                )
            )


LOOKS_LIKE = {"moms": 1.25, "month": 1 / 12, "half": 0.5}  # an amount this many times what the rest imply


def _looks_like(
    params: ParameterSet, grid: Grid, component: str, rows: list[dict], before: PricePath, findings: list[Finding]
) -> None:
    """A 'looks_like' warning for an invoice whose implied price is close to 1,25x, 1/12 or 1/2 of what the
    other invoices of its payment and year imply (at the knee rate assumed before the invoices); with no other
    invoice, close to 1/12 of the model's own price for the year (a placeholder, so only that gross slip)."""
    implied = {
        id(r): r["observation"].amount_dkk / (r["u0"] + _rate_in(params, r["observation"].year) * (r["u1"] - r["u0"]))
        for r in rows
    }
    tight, wide = params.value("calibration.ratio_tolerance"), params.value("calibration.placeholder_ratio_tolerance")
    for r in rows:
        o = r["observation"]
        others = [q for q in rows if q is not r and q["observation"].year == o.year]
        if others:
            rest = sum(q["observation"].amount_dkk for q in others) / sum(
                q["observation"].amount_dkk / implied[id(q)] for q in others
            )
            candidates, within, against = LOOKS_LIKE, tight, "invoices"
        else:
            rest = _model_price(params, grid, component, o.year, before)
            candidates, within, against = {"month": LOOKS_LIKE["month"]}, wide, "model"
        if not rest or np.isnan(rest):
            continue
        findings += looks_like(
            implied[id(r)] / rest, within, o.where, o.kommune, o.year, component, against, candidates
        )


def looks_like(
    ratio: float,
    within: float,
    where: Where,
    kommune: str,
    year: int,
    component: str,
    against: str,
    candidates: Mapping[str, float] = LOOKS_LIKE,
) -> list[Finding]:
    """A 'looks_like' warning for invoices (at `where`) that come to `ratio` times what they are checked against
    (`against`: 'invoices', 'model' or 'budget') when that is within `within` of a candidate slip (1,25: moms;
    1/12: one month; 1/2: half a year); else none."""
    kind = next((k for k, target in candidates.items() if abs(ratio / target - 1) <= within), None)
    if kind is None:
        return []
    values = {"where": where, "kommune": kommune, "year": year, "component": component}
    return [Finding("looks_like", {**values, "kind": kind, "ratio": ratio, "against": against})]


def _model_price(params: ParameterSet, grid: Grid, component: str, year: int, before: PricePath) -> float:
    """The model's price of a year before any invoice: known or carried, else (SAPA) derived revenue neutral."""
    value = float(before.values[before.years.index(year)])
    if np.isnan(value) and component == "sapa":
        planned = effective_months(params, np.zeros_like(effective_months(params)))
        derived = derived_price(grid, lambda: sapa_old(grid, staircase(params, planned, grid.months)))
        value = float(derived[list(grid.years).index(year)])
    return value


def _residuals(rows: list[dict], modelled: dict[int, float], units: dict[int, float]) -> pd.DataFrame:
    """Each invoice against the calibrated model (kr.), within the tolerance or not."""
    residuals = pd.DataFrame(
        [
            {
                "kommunekode": r["observation"].kommunekode,
                "kommune": r["observation"].kommune,
                "year": r["observation"].year,
                "component": r["observation"].component,
                "months": r["months"],
                "amount_dkk": r["observation"].amount_dkk,
                "modelled_dkk": modelled[id(r)],
                "units": units[id(r)],
                "reference": r["observation"].reference,
                "where": r["observation"].where,
            }
            for r in rows
        ]
    )
    residuals["residual_dkk"] = residuals["amount_dkk"] - residuals["modelled_dkk"]
    residuals["within_tolerance"] = residuals["residual_dkk"].abs() <= tolerance(residuals["amount_dkk"])
    return residuals


def _replaced(grid: Grid, before: dict[str, PricePath], solved: dict[str, Parameter], findings: list[Finding]) -> None:
    """A 'replaces' finding for every price solved: the value the year had before (carried forward from a known
    year, or derived: then None)."""
    for component, name in PRICED.items():
        if name not in solved:
            continue
        path = before[component]
        for year, value in solved[name].by_year().items():
            i = path.years.index(year)
            known = int(path.known_from[i])
            findings.append(
                Finding(
                    "replaces",
                    {
                        "parameter": name,
                        "year": year,
                        "value": float(value),
                        "before": None if np.isnan(path.values[i]) else float(path.values[i]),
                        "from_year": known or None,
                    },
                )
            )


def _reference(rows: list[dict], years: Iterable[int]) -> str:
    """'Kalibreret fra 2 fakturaer: Aarhus 2021 (faktura 123); ...' for the rows of the given years."""
    years = set(years)
    used = [r["observation"] for r in rows if r["observation"].year in years]
    shown = "; ".join(f"{o.kommune} {o.year} ({o.reference})" for o in used[:PROBLEM_LIMIT])
    more = f"; og {len(used) - PROBLEM_LIMIT} flere" if len(used) > PROBLEM_LIMIT else ""
    return f"Kalibreret fra {counted(len(used), 'faktura', 'fakturaer')}: {shown}{more}"


def _sapa_parameters(
    params: ParameterSet, common: float | None, rates: dict[int, float], prices: dict[int, float], rows: list[dict]
) -> dict[str, Parameter]:
    """The calibrated SAPA price per year and, where solved, the knee rate, with the invoices as reference."""
    calibrated = params.parameters["sapa.price.calibrated"]
    result = {}
    if prices:  # the years KOMBIT announced no price for
        result["sapa.price.calibrated"] = merge_values(
            dataclasses.replace(calibrated, dates=(), values=()),
            {as_day(f"{y}-01-01", calibrated.name): float(p) for y, p in prices.items()},
            status="calibrated",
            reference=_reference(rows, prices),
        )
    rate = params.parameters["sapa.knee.rate"]
    if common is not None:  # one rate, from the rate's first date on
        result["sapa.knee.rate"] = dataclasses.replace(
            rate, dates=rate.dates[:1], values=(common,), status="calibrated", reference=_reference(rows, rates)
        )
    elif rates:
        # From the first year whose rate changed, every invoiced year keeps the rate its price was solved with
        # (not the one carried forward from an earlier year).
        changed = [y for y, r in rates.items() if r != _rate_in(params, y)]
        own = {y: r for y, r in rates.items() if changed and y >= min(changed)}
        result["sapa.knee.rate"] = merge_values(
            rate,
            {as_day(f"{y}-01-01", rate.name): float(r) for y, r in own.items()},
            status="calibrated",
            reference=_reference(rows, own),
        )
    return result


def _own_kmd_sag(rows: list[dict], payment: float) -> Parameter:
    """A municipality's own KMD Sag starting payment (kr. a year), solved from its KMD Sag invoice(s)."""
    first = rows[0]["observation"]
    years = ", ".join(str(r["observation"].year) for r in rows)
    return _municipal(
        first,
        OWN,
        label=f"KMD Sag, udgangsbetaling for {first.kommune}",
        description=f"{first.kommune}'s yearly KMD Sag payment before any reduction, solved from its own KMD Sag "
        "invoices with the model's reductions and timeline.",
        reference=f"Kalibreret fra KMD Sag-fakturaer for {first.kommune} ({years}): "
        + "; ".join(r["observation"].reference for r in rows),
        values=None,
        timeless_value=float(payment),
        replaces=("kmd_sag.baseline_per_inhabitant", "kmd_sag.baseline_year"),
    )


def _municipal(
    first: Observation,
    prefix: str,
    label: str,
    description: str,
    reference: str,
    values: dict | None,
    replaces: tuple[str, ...],
    timeless_value: float | None = None,
) -> Parameter:
    """A parameter of one municipality's own, solved from its invoices (kr. a year): one value for all time, or a
    value per year; it stands in for the general parameters it `replaces` in that municipality's figures only."""
    dated = {np.datetime64("1900-01-01", "D"): timeless_value} if values is None else values
    return Parameter(
        name=f"{prefix}{first.kommunekode}",
        label=label,
        description=description,
        unit="kr./år",
        status="calibrated",
        reference=reference,
        dates=tuple(dated),
        values=tuple(dated.values()),
        timeless=values is None,
        origin="calibration",
        per_year=values is not None,
        kommunekode=first.kommunekode,
        replaces=replaces,
    )


def _refuse_disagreement(residuals: pd.DataFrame) -> None:
    """ScenarioError naming every invoice the calibrated model misses by more than the tolerance, with the price
    (or starting payment) each one implies on its own, and how to enter a changed documented price."""
    off = residuals[~residuals["within_tolerance"]]
    if off.empty:
        return
    lines = []
    for row in off.itertuples():
        implied = (
            f"implies a starting payment of {row.amount_dkk / row.units:.0f} kr. a year"
            if row.component == "kmd_sag"
            else f"implies a price of {row.amount_dkk / row.units:.2f} kr. per weighted inhabitant"
        )
        what = {
            "sapa": "SAPA",
            "kmd_sag": "KMD Sag",
            "infrastructure": "infrastructure (documented price, infrastructure.price_per_inhabitant)",
            "buffet": "buffet (documented price, buffet.price_per_inhabitant)",
        }[row.component]
        lines.append(
            f"{row.where}: {row.kommune} {row.year} {what}: the invoice of {row.amount_dkk:.2f} kr. {implied}; "
            f"the calibrated model gives {row.modelled_dkk:.2f} kr."
        )
    hint = (
        f"; invoices disagree beyond {TOLERANCE_DKK:g} kr. or {100 * TOLERANCE_SHARE:g} %: a typical cause is one "
        "amount with moms and one without, or an amount covering other months (give months). If KOMBIT changed a "
        "documented price, enter the new one in the scenario's prices section with its reference"
    )
    raise ScenarioError(
        f"the invoices do not agree with one another or with the documented prices{hint}:\n{listing(lines)}"
    )
