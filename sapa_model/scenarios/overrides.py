"""Scenarios: small YAML files of parameter overrides, validated in full before anything is applied.

    name: KY forsinket 12 måneder
    description: What if KY replaces KMD Aktiv a year late?
    parameters:                        # optional: parameter.path -> value, {date: value} or long form
      sapa.knee.threshold: 100000
      old_model.full_price: {2019-01-01: 17.5}
      sapa.price.per_inhabitant:
        values: {2019-01-01: 12.34}
        unit: kr./indbygger/år
        status: sourced
        reference: KOMBIT notat 13. juni 2019
    delays: {ky: 12}                   # optional: event -> months after the planned date
    projection: trend                  # optional: carry_forward | trend | {method: trend, trend_years: 5}

The baseline is never changed: a scenario makes a new ParameterSet.
"""

from __future__ import annotations

import datetime as dt
import numbers
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np
import yaml

from ..data.datasets import WAVES
from ..data.population import first_year as first_observed_year
from ..data.population import last_observed_year, read_forecast
from ..data.tables import number, read_user_table, whole_number
from ..errors import PROBLEM_LIMIT, ParameterError, SapaError, ScenarioError, echo, listing
from ..parameters import (
    STATUSES,
    Parameter,
    ParameterSet,
    as_day,
    baseline,
    check_range,
    check_value,
    merge_values,
    read_yaml,
)
from ..rules import buffet, infrastructure, new_model
from ..rules.events import event_names
from ..rules.grid import first_billing_year, last_model_year
from .calibration import Calibration, Observation, combine_invoices, parse_observations, read_observations, solve

FORECAST = "projection.forecast_file"
TOP_KEYS = (
    "name", "description", "parameters", "prices", "prices_file", "delays", "projection", "calibration",
    "calibration_file",
)  # fmt: skip
# The parameter each payment's announced price goes to (a scenario's prices section): the first of its known prices.
ANNOUNCED = {"sapa": new_model.PRICES[0], "infrastructure": infrastructure.PRICES[0], "buffet": buffet.PRICES[0]}
MAX_PRICE = 1_000.0  # kr. per inhabitant a year: far above any SAPA, infrastructure or buffet price
SCENARIO_NAME_LIMIT, DESCRIPTION_LIMIT = 120, 2_000  # characters of a scenario's name and description
LONG_FORM_KEYS = {"values", "value", "unit", "status", "reference", "description"}
ENTERED = tuple(s for s in STATUSES if s != "calibrated")  # the statuses a scenario may state for a value


def _parse_override(parameter: Parameter, raw: object, label: str) -> Parameter:
    """One override applied to one parameter; ParameterError says what is wrong and what would be right."""
    # A value entered in a scenario says which scenario set it; without a stated status and reference it is
    # 'scenario': still unsourced, and listed as such wherever it is used.
    metadata: dict = {"status": "scenario", "reference": f"scenario {label}"}
    if isinstance(raw, Mapping) and set(map(str, raw)) & LONG_FORM_KEYS:
        unknown = set(map(str, raw)) - LONG_FORM_KEYS
        if unknown:
            raise ParameterError(f"unknown key(s) {sorted(unknown)}; the long form takes {sorted(LONG_FORM_KEYS)}")
        if "unit" in raw and str(raw["unit"]) != parameter.unit:
            raise ParameterError(f"unit {echo(raw['unit'])} is wrong; {parameter.name} is in {parameter.unit!r}")
        status = str(raw.get("status", "scenario"))
        if status not in ENTERED:
            raise ParameterError(
                f"status {echo(raw['status'])} must be one of {', '.join(ENTERED)} ('calibrated' "
                "is given by a calibration from invoices)"
            )
        reference = str(raw.get("reference") or "").strip()[:300]
        if status == "sourced" and not reference:
            raise ParameterError("a sourced value needs a reference (the document it comes from)")
        metadata.update(
            status=status, reference=f"{reference} ({metadata['reference']})" if reference else metadata["reference"]
        )
        if "description" in raw:
            metadata["description"] = str(raw["description"])[:500]
        raw = raw.get("values", raw.get("value"))
    if isinstance(raw, Mapping):
        changes = {as_day(day, ""): check_value(parameter.name, v, parameter.name) for day, v in raw.items()}
        if not changes:
            raise ParameterError("no values given")
        fresh = False
    else:
        # A single value: it applies from the parameter's first date (for all time, if timeless).
        first = parameter.dates[0] if parameter.dates else as_day(f"{first_billing_year(baseline())}-01-01", "")
        changes = {first: check_value(parameter.name, raw, parameter.name)}
        fresh = True
    changes = {day: _check_kind(parameter, value) for day, value in changes.items()}
    if parameter.timeless and any(day != parameter.dates[0] for day in changes):
        raise ParameterError(f"{parameter.name} does not change over time; give a single value, not dates")
    return merge_values(replace(parameter, dates=(), values=()) if fresh else parameter, changes, **metadata)


def _check_kind(parameter: Parameter, value):
    """The value, checked against the parameter's kind, allowed values and range; a date given as text (a quoted
    '2019-08-01', or from the explorer) becomes a date."""
    kind = "date" if isinstance(value, dt.date) else "text" if isinstance(value, str) else "number"
    if kind == "text" and parameter.kind == "date":
        value = as_day(value, "").astype(object)
    elif kind != parameter.kind:
        example = {"number": "a number such as 0.5", "date": "a date such as 2020-01-01", "text": "a word"}
        raise ParameterError(f"{echo(value)} is {kind_name(kind)}; {parameter.name} takes {example[parameter.kind]}")
    if parameter.allowed and value not in parameter.allowed:
        raise ParameterError(f"{echo(value)} is not allowed; use one of {', '.join(map(str, parameter.allowed))}")
    check_range(parameter, value)
    return value


def kind_name(kind: str) -> str:
    return {"number": "a number", "date": "a date", "text": "text"}[kind]


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: its name, description and the overrides it makes (as plain data)."""

    name: str = "Basis"
    description: str = "De leverede parametre uden ændringer."
    parameters: dict = field(default_factory=dict)
    source: str = ""
    calibration: tuple[Observation, ...] = ()

    @cached_property
    def overridden(self) -> ParameterSet:
        """The baseline with this scenario's overrides applied (a new set; the baseline is untouched)."""
        return apply_overrides(self.parameters, label=self.name)

    @cached_property
    def calibrated(self) -> Calibration | None:
        """What the scenario's invoices fixed (None without invoices)."""
        return solve(self.overridden, list(self.calibration)) if self.calibration else None

    @property
    def params(self) -> ParameterSet:
        """The parameters the scenario computes with: the overrides, then the values its invoices fixed."""
        return self.calibrated.apply(self.overridden) if self.calibrated else self.overridden

    def changed(self) -> list[str]:
        """Names of the parameters whose values this scenario changes (overrides and calibrated values)."""
        return self.params.differences(baseline())

    def to_yaml(self, folder: Path | None = None) -> str:
        """The scenario as YAML that load_scenario reads back to the same figures; written to be kept in `folder`,
        a forecast file in that folder is named relative to it (so the pair can be moved or shared together)."""
        parameters = dict(self.parameters)
        forecast = parameters.get(FORECAST)
        if folder is not None and isinstance(forecast, str) and forecast:
            home, path = os.path.realpath(folder), os.path.realpath(forecast)
            if Path(path).is_relative_to(home):
                parameters[FORECAST] = Path(os.path.relpath(path, home)).as_posix()
        data: dict = {"name": self.name, "description": self.description, "parameters": _plain_data(parameters)}
        if self.calibration:
            data["calibration"] = [o.as_data() for o in self.calibration]
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)

    def __add__(self, other: Scenario) -> Scenario:
        return combine(self, other)


def _plain_data(value):
    if isinstance(value, Mapping):
        return {(k.isoformat() if isinstance(k, dt.date) else k): _plain_data(v) for k, v in value.items()}
    return value.isoformat() if isinstance(value, dt.date) else value


BASELINE = Scenario()


def apply_overrides(
    overrides: Mapping[str, object], label: str = "", params: ParameterSet | None = None
) -> ParameterSet:
    """Apply {parameter.path: value | {date: value} | long form} to a set, listing every problem at once."""
    params = baseline() if params is None else params
    changed: dict[str, Parameter] = {}
    problems: list[str] = []
    for name, raw in overrides.items():
        if name not in params:
            problems.append(params.unknown_message(str(name), suggest=len(problems) < PROBLEM_LIMIT))
            continue
        try:
            changed[name] = _parse_override(params.parameters[name], raw, label)
        except ParameterError as exc:
            problems.append(f"{name}: {exc}")
    result = params.with_values(changed)
    problems += _check_consistency(result) if not problems else []
    if problems:
        raise ScenarioError(f"scenario {label or '(unnamed)'} is not valid:\n{listing(problems)}")
    return result


def _check_consistency(params: ParameterSet) -> list[str]:
    """Rules across parameters: the staircase must reach exactly the full price; each delay distribution
    must be ordered (low <= mode <= high)."""
    problems: list[str] = []
    events = event_names(params)
    total = params.value("old_model.base_share") + sum(params.value(f"old_model.events.{e}.weight") for e in events)
    if abs(total - 1) > 1e-9:
        problems.append(f"old_model.base_share plus the event weights must add up to 1 (the full price), not {total:g}")
    first, last = first_billing_year(params), last_model_year(params)
    if not first <= params.value("horizon.default_last_year") <= last:
        problems.append(f"horizon.default_last_year must lie from {first} to projection.last_year ({last})")
    januaries = np.array([f"{y}-01-01" for y in range(first, last + 1)], dtype="datetime64[D]")
    share = params["sapa.infrastructure_share"].series(januaries) > 0
    billed = params["infrastructure.price_per_inhabitant"].series(januaries) > 0
    if (share & ~billed).any():
        year = int(januaries[share & ~billed][0].astype(object).year)
        problems.append(
            f"sapa.infrastructure_share takes the infrastructure out of SAPA's price in {year}, but the "
            f"infrastructure is not billed on its own that year (infrastructure.price_per_inhabitant is 0); "
            "move the two together"
        )
    observed = last_observed_year() - first_observed_year() + 1
    if params.value("projection.trend_years") > observed:
        problems.append(f"projection.trend_years can be at most the {observed} observed years")
    for event in events:
        low, mode, high = (params.value(f"old_model.events.{event}.delay_{k}") for k in ("low", "mode", "high"))
        if not low <= mode <= high:
            problems.append(
                f"the delay distribution of {event} needs delay_low <= delay_mode <= delay_high; "
                f"got {low:g}, {mode:g}, {high:g}"
            )
    return problems


def _text(data: Mapping, key: str, problems: list[str]) -> str:
    """A scenario's text (its name or description), stripped; anything but text (a list, a mapping, true, a
    number) is a problem, never turned into text."""
    value = data.get(key)
    if value is None or isinstance(value, str):
        return (value or "").strip()
    kind = {bool: "true/false", int: "a number", float: "a number", list: "a list", dict: "a mapping"}.get(
        type(value), type(value).__name__
    )
    problems.append(f"'{key}' must be text, not {kind}; write it in quotes if it is meant as text")
    return ""


def _outside(path: Path, within: Path | None) -> bool:
    """True when `within` is given and the file (links followed) lies outside it."""
    return within is not None and not Path(os.path.realpath(path)).is_relative_to(os.path.realpath(within))


def scenario_from_data(data: object, source: str = "", within: Path | None = None) -> Scenario:
    """Validate a scenario given as a mapping (what a YAML file holds) and return it. `within`: the files it names
    (forecast, invoices) must lie in this folder; others are refused unread."""
    where = source or "the scenario"
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{where}: expected a mapping with keys {', '.join(TOP_KEYS)}")
    problems = [f"unknown key {echo(key)}; a scenario has {', '.join(TOP_KEYS)}" for key in data if key not in TOP_KEYS]
    name, description = (_text(data, key, problems) for key in ("name", "description"))
    if not name and isinstance(data.get("name") or "", str):
        problems.append("'name' is missing; give the scenario a short name")
    if len(name) > SCENARIO_NAME_LIMIT or len(description) > DESCRIPTION_LIMIT:
        problems.append(
            f"the name may have at most {SCENARIO_NAME_LIMIT} characters and the description {DESCRIPTION_LIMIT}"
        )
    overrides = data.get("parameters") or {}
    if not isinstance(overrides, Mapping):
        problems.append("'parameters' must map parameter.path to a value, one per line")
        overrides = {}
    overrides = dict(overrides)
    delays = data.get("delays") or {}
    known = event_names(baseline())
    if not isinstance(delays, Mapping):
        problems.append(f"'delays' must map events ({', '.join(known)}) to months")
        delays = {}
    for event, months in delays.items():
        if event not in known:
            problems.append(f"delays: unknown event {echo(event)}; the events are {', '.join(known)}")
            continue
        # {ky: 12} delays an event for every wave; {ky: {'6': 6}} for the waves named only.
        per_wave = months if isinstance(months, Mapping) else {None: months}
        for wave, value in per_wave.items():
            target = f"old_model.events.{event}." + ("delay" if wave is None else f"wave_delay.{wave}")
            if wave is not None and str(wave) not in WAVES:
                problems.append(f"delays: {event}: unknown wave {echo(wave)}; the waves are {', '.join(WAVES)}")
            elif isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
                problems.append(f"delays: {event} must be a whole number of months, not {echo(value)}")
            else:
                overrides[target] = int(value)
    projection = data.get("projection")
    if isinstance(projection, str):
        overrides["projection.method"] = projection
    elif isinstance(projection, Mapping):
        for key, value in projection.items():
            overrides[f"projection.{key}"] = value
    elif projection is not None:
        problems.append(
            "'projection' must be carry_forward, trend or {method: trend, trend_years: 5, forecast_file: x.csv}"
        )
    forecast = overrides.get(FORECAST)
    if isinstance(forecast, str) and forecast:
        overrides[FORECAST] = str(beside(source, forecast))  # relative to the scenario
        if _outside(Path(overrides[FORECAST]), within):
            problems.append(f"{FORECAST}: {_beyond(overrides.pop(FORECAST), within)}")
    announced, found = _announced_prices(data, source, within)
    problems += found
    for parameter, values in announced.items():
        if parameter in overrides:
            problems.append(f"{parameter} is given both under parameters and under prices; give it once")
        overrides[parameter] = values
    observations, found = _observations(data, source, within)
    problems += found
    scenario = Scenario(
        name=name[:SCENARIO_NAME_LIMIT],
        description=description[:DESCRIPTION_LIMIT],
        parameters=overrides,
        source=source,
        calibration=tuple(observations),
    )
    try:
        params = scenario.overridden  # validates every override now, before anyone uses the scenario
        if params.value(FORECAST):
            read_forecast(params.value(FORECAST), last_observed_year() + 1, last_model_year(params))
    except ScenarioError as exc:
        problems += str(exc).splitlines()[1:]
    except SapaError as exc:
        problems.append(f"{FORECAST}: {exc}")
    if not problems and observations:
        try:
            _ = scenario.calibrated  # solves now: invoices that cannot be used, or disagree, stop here
        except ScenarioError as exc:
            problems.append(f"calibration: {exc}")
    if problems:
        raise ScenarioError(f"{where} is not a valid scenario:\n{listing([p.strip() for p in problems])}")
    return scenario


def load_scenario(path: str | Path | Scenario | None, within: Path | None = None) -> Scenario:
    """Read and validate a scenario file (or pass a Scenario through; None is the baseline). `within`: the files
    the scenario names must lie in this folder."""
    if path is None:
        return BASELINE
    if isinstance(path, Scenario):
        return path
    if not isinstance(path, (str, os.PathLike)) or "\0" in str(path):
        raise ScenarioError(
            f"a scenario is None (the baseline), a scenario file's path or a Scenario, not {echo(path)}"
        )
    path = Path(path)
    if not os.path.lexists(path):
        raise ScenarioError(f"scenario file {path} does not exist; the shipped examples are in scenarios/")
    try:
        data = read_yaml(path, "scenario file")
    except ParameterError as exc:
        raise ScenarioError(str(exc)) from None
    return scenario_from_data(data, str(path), within)


def combine(*scenarios: Scenario) -> Scenario:
    """One scenario with all overrides and all invoices; where two set the same parameter, the later one wins."""
    merged: dict = {}
    for scenario in scenarios:
        merged.update(scenario.parameters)
    named = [s for s in scenarios if s.parameters or s.calibration] or list(scenarios[:1])
    return scenario_from_data(
        {
            "name": " + ".join(s.name for s in named),
            "description": " ".join(s.description for s in named),
            "parameters": merged,
            "calibration": [o.as_data() for s in scenarios for o in s.calibration],
        },
        source=" + ".join(s.source for s in named if s.source),
    )


def beside(source: str, file: object) -> Path:
    """A file a scenario names: relative to the scenario file's folder (as written in it), or as given."""
    path = Path(str(file))
    return Path(source).parent / path if source and not path.is_absolute() else path


def _beyond(path: str | Path, within: Path | None) -> str:
    """Why a file a scenario names is not read (it is outside the folder files must lie in)."""
    folder = Path(within).name if within else ""
    return f"{Path(path).name} lies outside the scenarios folder {folder}/; only files in it are read here"


def _observations(data: Mapping, source: str, within: Path | None = None) -> tuple[list[Observation], list[str]]:
    """The invoices a scenario lists (`calibration:`) and reads from a file (`calibration_file:`, relative to
    the scenario file), with every problem found in them."""
    observations, problems = [], []
    listed = data.get("calibration")
    if listed is not None:
        if isinstance(listed, list):
            found, bad = parse_observations(listed, "calibration")
            observations += found
            problems += bad
        else:
            problems.append(
                "'calibration' must be a list of invoices, each with kommune, year, component, amount_dkk and reference"
            )
    path = _named_file(data, "calibration_file", source, within, problems)
    if path is not None:
        try:
            found, bad = read_observations(path)
            observations += found
            problems += bad
        except SapaError as exc:
            problems.append(f"calibration_file: {exc}")
    return observations, problems + combine_invoices(observations)[1]


def _named_file(data: Mapping, key: str, source: str, within: Path | None, problems: list[str]) -> Path | None:
    """The file a scenario names under `key` (relative to the scenario file), or None when it names none or one
    outside the folder it must stay within (`within`; that problem is added to `problems`)."""
    file = data.get(key)
    if not file:
        return None
    if _outside(beside(source, file), within):
        problems.append(f"{key}: {_beyond(beside(source, file), within)}")
        return None
    return beside(source, file)


def _announced_prices(data: Mapping, source: str, within: Path | None = None) -> tuple[dict, list[str]]:
    """The prices KOMBIT announced, from a scenario's `prices:` section ({reference: ..., sapa: {2027: 14.10}, ...})
    and `prices_file:` (CSV or XLSX: component, year, price, reference; relative to the scenario file), as
    parameter overrides with status sourced and their reference; and every problem found in them."""
    entries: list[tuple[str, object, object, str, str]] = []  # component, year, price, reference, where
    problems: list[str] = []
    section = data.get("prices")
    if section is not None:
        if not isinstance(section, Mapping):
            problems.append("'prices' must map sapa, infrastructure, buffet to {year: price} and give a reference")
        else:
            reference = str(section.get("reference") or "").strip()
            if not reference:
                problems.append("prices: give a reference (the price letter or notat the prices come from)")
            for component, values in section.items():
                if component == "reference":
                    continue
                if not isinstance(values, Mapping):
                    problems.append(f"prices: {echo(component)} must map years to prices, e.g. {{2027: 14.10}}")
                    continue
                entries += [(str(component), y, v, reference, f"prices: {component}") for y, v in values.items()]
    path = _named_file(data, "prices_file", source, within, problems)
    if path is not None:
        try:
            rows = read_user_table(
                path,
                {"component": ("komponent",), "year": ("år", "aar"), "price": ("pris", "price_dkk", "pris (kr.)")},
                "price file",
                optional={"reference": ("kilde", "reference")},
            )
            entries += [
                (
                    str(r["component"]).strip().lower(),
                    r["year"],
                    r["price"],
                    str(r.get("reference") or "").strip(),
                    f"{path.name}, row {r['row']}",
                )
                for r in rows.to_dict("records")
            ]
        except SapaError as exc:
            problems.append(f"prices_file: {exc}")
    first, last = first_billing_year(baseline()), last_model_year(baseline())
    found: dict[str, dict] = {}
    for component, year, price, reference, where in entries:
        if component not in ANNOUNCED:
            problems.append(f"{where}: unknown payment {echo(component)}; prices are given for {', '.join(ANNOUNCED)}")
            continue
        try:
            year_number, value = whole_number(year), number(price)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if not first <= year_number <= last:
            problems.append(f"{where}: year {year_number} is outside {first}-{last}")
        elif not 0 <= value <= MAX_PRICE:
            problems.append(f"{where}: a price of {value:g} kr. per inhabitant is outside 0-{MAX_PRICE:g}")
        elif not reference:
            problems.append(f"{where}: give a reference (the price letter or notat the price comes from)")
        else:
            name = ANNOUNCED[component]
            record = found.setdefault(name, {"values": {}, "status": "sourced", "reference": reference})
            day = f"{year_number}-01-01"
            if day in record["values"]:
                problems.append(f"{where}: the {component} price for {year_number} is given twice")
            record["values"][day] = value
            if reference not in record["reference"]:
                record["reference"] = f"{record['reference']}; {reference}"[:300]
    return found, problems
