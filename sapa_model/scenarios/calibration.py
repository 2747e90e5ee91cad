"""Calibration: turn the invoices a municipality already holds into the model's real figures.

Under the new model every municipality pays the same price per knee-weighted inhabitant in a calendar
year, so one SAPA invoice fixes that year's price for all 98; invoices from municipalities on both sides
of the knee also fix the knee rate; a municipality's own KMD Sag payment fixes its KMD Sag starting
payment. The solve uses the model's own rules (population on 1 January, months billed, the knee), so the
calibrated model reproduces every invoice. Infrastructure and buffet invoices are checked against the
sourced prices, never refitted. Where invoices over-determine a value and disagree beyond the tolerance,
nothing is applied and the message names them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.datasets import municipalities
from ..data.names import resolve_code
from ..data.tables import number, read_user_table, whole_number
from ..errors import PROBLEM_LIMIT, ScenarioError, UnknownMunicipalityError, counted, echo, listing
from ..parameters import Parameter, ParameterSet, as_day, merge_values
from ..rules.buffet import buffet
from ..rules.events import effective_months
from ..rules.grid import Grid, first_billing_year, last_model_year
from ..rules.infrastructure import infrastructure
from ..rules.kmd_sag import OWN, per_krone
from ..rules.new_model import billed_units

COMPONENTS = ("sapa", "kmd_sag", "infrastructure", "buffet")
FIELDS = ("kommune", "year", "component", "amount_dkk", "months", "reference")
TOLERANCE_DKK, TOLERANCE_SHARE = 1.0, 0.005  # an invoice is reproduced when within 1 kr. or 0,5 %, the larger
MAX_OBSERVATIONS = 2_000


def tolerance(amount: float | np.ndarray) -> float | np.ndarray:
    """How far a modelled amount may be from an invoice (kr.): 1 kr. or 0,5 % of it, whichever is larger."""
    return np.maximum(TOLERANCE_DKK, TOLERANCE_SHARE * np.abs(amount))


@dataclass(frozen=True)
class Observation:
    """One amount paid: by whom, for which year and component, covering how many months, and from where."""

    kommunekode: int
    year: int
    component: str
    amount_dkk: float
    months: int | None
    reference: str
    where: str  # 'fakturaer.csv, row 4' or 'calibration item 2', for messages

    @property
    def kommune(self) -> str:
        return str(municipalities().loc[self.kommunekode, "kommune"])

    def as_data(self) -> dict:
        """The observation as a scenario file writes it."""
        data = {"kommune": self.kommune, "year": self.year, "component": self.component, "amount_dkk": self.amount_dkk}
        if self.months is not None:
            data["months"] = self.months
        return {**data, "reference": self.reference}


def parse_observations(rows: Iterable[Mapping], where: str) -> tuple[list[Observation], list[str]]:
    """Observations from mappings (a scenario's `calibration:` list or a file's rows), and every problem
    found in them, each naming where it is (file and row)."""
    observations, problems = [], []
    for number_, row in enumerate(rows, start=1):
        at = f"{where}, row {row.get('row', number_)}" if "row" in row else f"{where} item {number_}"
        if not isinstance(row, Mapping):
            problems.append(f"{at}: expected kommune, year, component, amount_dkk, reference")
            continue
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
            if amount <= 0:
                found.append(f"amount_dkk {echo(row.get('amount_dkk'))} must be a positive amount in kroner")
        except ValueError as exc:
            found.append(f"amount_dkk: {exc}")
        months = row.get("months")
        if months not in (None, ""):
            try:
                months = whole_number(months)
                if not 1 <= months <= 12:
                    raise ValueError
            except ValueError:
                found.append(f"months {echo(row.get('months'))} must be a whole number of months from 1 to 12")
        else:
            months = None
        reference = str(row.get("reference") or "").strip()
        if not reference:
            found.append("reference is missing; say where the amount comes from (e.g. the invoice number)")
        if found:
            problems += [f"{at}: {p}" for p in found]
            continue
        observations.append(Observation(code, year, component, amount, months, reference[:200], at))
    if len(observations) > MAX_OBSERVATIONS:
        problems.append(f"{where}: more than {MAX_OBSERVATIONS} observations")
    return observations, problems


def duplicates(observations: list[Observation]) -> list[str]:
    """A problem for every invoice given twice (the same municipality, year and component)."""
    seen: dict[tuple, str] = {}
    problems = []
    for o in observations:
        key = (o.kommunekode, o.year, o.component)
        if key in seen:
            problems.append(f"{o.where}: {o.kommune} {o.year} {o.component} is also given at {seen[key]}")
        seen.setdefault(key, o.where)
    return problems


def read_observations(path: str | Path) -> tuple[list[Observation], list[str]]:
    """Observations from a CSV or XLSX file (columns kommune, year, component, amount_dkk, optional months,
    reference; semicolon or comma separated, decimal comma or point)."""
    frame = read_user_table(
        path,
        {
            "kommune": ("kommunekode", "kommunenavn"),
            "year": ("år", "aar"),
            "component": ("komponent",),
            "amount_dkk": ("beløb", "beloeb", "amount", "beløb (kr.)"),
        },
        "invoice file",
        optional={"months": ("måneder", "maaneder"), "reference": ("reference", "kilde", "bilag")},
    )
    return parse_observations(frame.to_dict("records"), Path(path).name)


@dataclass(frozen=True)
class Calibration:
    """What the invoices fixed: the parameters solved (status 'calibrated'), and each invoice against the model."""

    parameters: dict[str, Parameter]
    residuals: pd.DataFrame  # one row per observation: kommune, year, component, amount, modelled, residual, ...
    notes: tuple[str, ...]

    def apply(self, params: ParameterSet) -> ParameterSet:
        """The parameter set with the solved values in place."""
        return params.with_values(self.parameters)


def _first_months(mask: np.ndarray, months: int | None) -> np.ndarray:
    """The first `months` True entries of a month mask (all of them when months is None)."""
    return mask & (np.cumsum(mask) <= (mask.sum() if months is None else months))


def solve(params: ParameterSet, observations: list[Observation]) -> Calibration:
    """Solve the SAPA price per year, the knee rate (when both sides of the knee are observed in a year) and
    each observed municipality's KMD Sag starting payment; check infrastructure and buffet. ScenarioError
    lists every bad row, or names the invoices that disagree."""
    first, last = first_billing_year(params), last_model_year(params)
    problems = [
        f"{o.where}: year {o.year} is outside the years the model covers, {first}-{last}"
        for o in observations
        if not first <= o.year <= last
    ]
    if problems:
        raise ScenarioError("the invoices cannot be used:\n" + listing(problems))
    years = sorted({o.year for o in observations})
    grid = Grid.build(params, years)
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
    per_unit = {  # what one unit of the unknown (price, rate, starting payment) or the sourced price gives per month
        "sapa": at_rate[0],
        "kmd_sag": per_krone(grid, effective_months(params))[grid.wave_index],
        "infrastructure": infrastructure(grid),
        "buffet": buffet(grid),
    }
    rows = []
    for o in observations:
        m, y = int(np.searchsorted(grid.codes, o.kommunekode)), years.index(o.year)
        in_year = grid.year_index == y
        billed = in_year & (per_unit[o.component][m] > 0)
        if not billed.any():
            problems.append(f"{o.where}: {o.component} is not billed to {o.kommune} in {o.year} in this model")
            continue
        if o.months is not None and o.months > billed.sum():
            problems.append(
                f"{o.where}: {o.kommune} is billed {o.component} for {billed.sum()} months in {o.year}, not {o.months}"
            )
            continue
        months = _first_months(billed, o.months)
        rows.append(
            {
                "observation": o,
                "m": m,
                "months": int(months.sum()),
                "u0": per_unit[o.component][m, months].sum(),
                "u1": at_rate[1][m, months].sum() if o.component == "sapa" else 0.0,
            }
        )
    if problems:
        raise ScenarioError("the invoices cannot be used:\n" + listing(problems))
    solved: dict[str, Parameter] = {}
    notes: list[str] = []
    modelled: dict[int, float] = {}
    units = {id(r): r["u0"] for r in rows}  # what the solved value is multiplied by
    sapa = [r for r in rows if r["observation"].component == "sapa"]
    if sapa:
        common, rates, prices = _solve_sapa(sapa, params, notes)
        solved.update(_sapa_parameters(params, common, rates, prices, sapa))
        for r in sapa:
            y = r["observation"].year
            units[id(r)] = r["u0"] + rates.get(y, _rate_in(params, y)) * (r["u1"] - r["u0"])
            modelled[id(r)] = prices[y] * units[id(r)]
    for code in {r["observation"].kommunekode for r in rows if r["observation"].component == "kmd_sag"}:
        own = [r for r in rows if r["observation"].component == "kmd_sag" and r["observation"].kommunekode == code]
        payment = sum(r["observation"].amount_dkk for r in own) / sum(r["u0"] for r in own)
        solved[f"{OWN}{code}"] = _own_kmd_sag(own, payment)
        modelled.update({id(r): payment * r["u0"] for r in own})
    modelled.update({id(r): r["u0"] for r in rows if r["observation"].component in ("infrastructure", "buffet")})
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
    _refuse_disagreement(residuals)
    return Calibration(solved, residuals, tuple(notes))


def _rate_in(params: ParameterSet, year: int) -> float:
    return float(params.value("sapa.knee.rate", f"{year}-01-01"))


def _solve_sapa(rows: list[dict], params: ParameterSet, notes: list[str]):
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
    bad = {y: r for y, r in own_rates.items() if not 0 <= r <= 1}
    if bad:
        raise ScenarioError(
            "the SAPA invoices imply a knee rate outside 0-1 (a share of the price): "
            + ", ".join(f"{y}: {r:.3g}" for y, r in sorted(bad.items()))
            + "; check that the amounts cover the same things"
        )

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
    notes.append(
        "the years' invoices imply different knee rates; each year with invoices on both sides of the "
        "knee keeps its own"
    )
    rates = {y: own_rates.get(y, _rate_in(params, y)) for y in by_year}
    return None, rates, prices_for(rates)


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
    result = {
        "sapa.price.calibrated": merge_values(
            dataclasses.replace(calibrated, dates=(), values=()),
            {as_day(f"{y}-01-01", calibrated.name): float(p) for y, p in prices.items()},
            status="calibrated",
            reference=_reference(rows, prices),
        )
    }
    rate = params.parameters["sapa.knee.rate"]
    if common is not None:  # one rate, from the rate's first date on
        result["sapa.knee.rate"] = dataclasses.replace(
            rate, dates=rate.dates[:1], values=(common,), status="calibrated", reference=_reference(rows, prices)
        )
    elif rates:
        own = {y: r for y, r in rates.items() if r != _rate_in(params, y)}
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
    return Parameter(
        name=f"{OWN}{first.kommunekode}",
        label=f"KMD Sag, udgangsbetaling for {first.kommune}",
        description=f"{first.kommune}'s yearly KMD Sag payment before any reduction, solved from its own KMD Sag "
        "invoices with the model's reductions and timeline.",
        unit="kr./år",
        status="calibrated",
        reference=f"Kalibreret fra KMD Sag-fakturaer for {first.kommune} ({years}): "
        + "; ".join(r["observation"].reference for r in rows),
        dates=(np.datetime64("1900-01-01", "D"),),
        values=(float(payment),),
        timeless=True,
        origin="calibration",
        kommunekode=first.kommunekode,
        replaces=("kmd_sag.baseline_per_inhabitant", "kmd_sag.baseline_year"),
    )


def _refuse_disagreement(residuals: pd.DataFrame) -> None:
    """ScenarioError naming every invoice the calibrated model misses by more than the tolerance, with the
    price (or starting payment) each one implies on its own."""
    off = residuals[~residuals["within_tolerance"]]
    if off.empty:
        return
    lines = []
    for row in off.itertuples():
        implied = {
            "sapa": f"implies a price of {row.amount_dkk / row.units:.2f} kr. per weighted inhabitant",
            "kmd_sag": f"implies a starting payment of {row.amount_dkk / row.units:.0f} kr. a year",
        }.get(row.component, f"is {row.amount_dkk / row.modelled_dkk:.1%} of what the sourced price gives")
        what = {
            "sapa": "SAPA",
            "kmd_sag": "KMD Sag",
            "infrastructure": "infrastructure (sourced price)",
            "buffet": "buffet (sourced price)",
        }[row.component]
        lines.append(
            f"{row.where}: {row.kommune} {row.year} {what}: the invoice of {row.amount_dkk:.2f} kr. {implied}; "
            f"the calibrated model gives {row.modelled_dkk:.2f} kr."
        )
    hint = (
        f"; invoices disagree beyond {TOLERANCE_DKK:g} kr. or {100 * TOLERANCE_SHARE:g} %: a typical cause is one "
        "amount with moms and one without, or an amount covering other months (give months)"
    )
    raise ScenarioError(
        f"the invoices do not agree with one another or with the sourced prices{hint}:\n{listing(lines)}"
    )
