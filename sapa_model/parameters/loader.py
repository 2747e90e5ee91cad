"""Parameters as data: every number of the model, with unit, status, reference and dates.

A parameter file (`parameters/*.yaml`) maps a dotted name to a record. A record has either
`values` (a mapping from the date a value applies from to the value) or `value` (one value that
does not change over time), and may bound a number with `minimum` and `maximum`. A `ParameterSet`
is immutable: a scenario makes a new one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import difflib
import math
import numbers
import re
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import numpy as np
import yaml

from ..data.datasets import WAVE_LABELS, WAVES
from ..errors import ParameterError, ParameterExtrapolationWarning, echo
from ..files import Unreadable, read_capped

PARAMETER_DIR = Path(__file__).parent
# Where a value comes from, from the most to the least certain: a stated fact with its source, the seed
# deck, solved from the user's own invoices, entered in a scenario, a modelling choice, a placeholder.
STATUSES = ("sourced", "seed", "calibrated", "scenario", "assumption", "illustrative")
REQUIRED = ("description", "unit", "status", "reference")
OPTIONAL = ("label", "values", "value", "last_value_still_valid_on", "allowed", "minimum", "maximum", "per_year")
PER_WAVE = "per_wave"  # a record with per_wave: one parameter per SAPA wave, named <name>.<wave>
MAX_YAML_BYTES = 1_000_000  # a scenario is a few kilobytes; the shipped parameter files are far smaller
_TIMELESS = np.datetime64("1900-01-01", "D")
_warned: set[str] = set()


@dataclass(frozen=True)
class Parameter:
    """One parameter: its values by start date, and what it means."""

    name: str
    description: str
    unit: str
    status: str
    reference: str
    dates: tuple[np.datetime64, ...]
    values: tuple
    label: str = ""
    valid_until: np.datetime64 | None = None
    allowed: tuple | None = None
    minimum: float | None = None
    maximum: float | None = None
    timeless: bool = False
    origin: str = ""
    per_year: bool = False  # each value holds for its calendar year only (not until the next value)
    kommunekode: int | None = None  # set for a value that belongs to one municipality (e.g. its own KMD Sag payment)
    replaces: tuple[str, ...] = ()  # for that municipality, the general parameters this one stands in for

    def by_year(self) -> dict[int, float]:
        """Values dated 1 January, by calendar year: for a parameter whose values hold for their year only."""
        return {d.astype(object).year: v for d, v in zip(self.dates, self.values) if str(d).endswith("-01-01")}

    @property
    def kind(self) -> str:
        """'number', 'date' or 'text', from the values."""
        sample = self.values[0] if self.values else 0.0
        return "date" if isinstance(sample, dt.date) else "text" if isinstance(sample, str) else "number"

    @property
    def last_valid_day(self) -> np.datetime64 | None:
        """The last day the latest value is known to hold; None for a timeless parameter."""
        if self.timeless or not self.dates:
            return None
        if self.valid_until is not None:
            return self.valid_until
        return np.datetime64(f"{self.dates[-1].astype(object).year}-12-31", "D")

    def at(self, day: dt.date | str | np.datetime64):
        """The value in force on a day."""
        return self.series(np.array([day], dtype="datetime64[D]"))[0]

    def series(self, days: np.ndarray):
        """Values in force on each of an array of days (datetime64), vectorised."""
        days = np.asarray(days).astype("datetime64[D]")
        if not self.values:
            raise ParameterError(f"parameter {self.name} has no value; set it in a scenario ({self.origin})")
        where = np.searchsorted(np.array(self.dates, dtype="datetime64[D]"), days, side="right") - 1
        if (where < 0).any():
            first = days[where < 0].min()
            raise ParameterError(
                f"parameter {self.name} has no value on {first}; its first value applies from {self.dates[0]}"
            )
        values = np.array(self.values, dtype=object if self.kind != "number" else float)
        return values[where]

    def stale(self, days: np.ndarray) -> np.ndarray:
        """True for each day after the last day the parameter's latest value is known to hold."""
        last = self.last_valid_day
        days = np.asarray(days).astype("datetime64[D]")
        return np.zeros(days.shape, bool) if last is None else days > last


def as_day(value, where: str) -> np.datetime64:
    """A date from YAML (a date, or text YYYY-MM-DD) as datetime64[D]; ParameterError names `where`."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return np.datetime64(value, "D")
    if isinstance(value, str):
        try:
            return np.datetime64(dt.date.fromisoformat(value.strip()), "D")
        except ValueError:
            pass
    raise ParameterError(
        f"{where + ': ' if where else ''}{echo(value)} is not a date; write it as YYYY-MM-DD, e.g. 2020-01-01"
    )


LARGEST = 1e12  # no number of the model (a price, a population, a date's year) comes near it


def check_value(name: str, value, where: str):
    """A value must be a finite number (Python's, numpy's or a Decimal, at most LARGEST in size), a date or a
    short text; booleans, lists, bytes and nan/inf are refused."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, decimal.Decimal, str, dt.date)):
        raise ParameterError(f"{where}: value {echo(value)} of {name} must be a number, a date or a word")
    if isinstance(value, (numbers.Real, decimal.Decimal)):
        try:
            number = float(value)
        except (OverflowError, ValueError):
            number = math.inf
        if not math.isfinite(number) or abs(number) > LARGEST:
            raise ParameterError(
                f"{where}: value {echo(value)} of {name} must be a finite number of at most {LARGEST:g}"
            )
        return number
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str) and len(value) > 500:
        raise ParameterError(f"{where}: the text given for {name} is longer than 500 characters")
    return value


def whole_in_range(value: object, parameter: Parameter, argument: str, low: float | None = None) -> int:
    """A whole-number argument (e.g. risk's draws) within its parameter's minimum (or `low`) and maximum;
    ParameterError names the argument, the range and what the parameter is."""
    low = low if low is not None else 0.0 if parameter.minimum is None else parameter.minimum
    span = f"from {low:g} to {parameter.maximum:g}" if parameter.maximum is not None else f"of at least {low:g}"
    try:
        number = float(value) if isinstance(value, (numbers.Real, decimal.Decimal)) else math.nan
    except (OverflowError, ValueError):
        number = math.nan
    if (
        isinstance(value, (bool, np.bool_))
        or not math.isfinite(number)
        or not number.is_integer()
        or not low <= number <= (math.inf if parameter.maximum is None else parameter.maximum)
    ):
        raise ParameterError(f"{argument} must be a whole number {span} ({parameter.label}), not {echo(value)}")
    return int(number)


def check_range(parameter: Parameter, value) -> None:
    """A number must lie within the parameter's minimum and maximum; ParameterError says the range."""
    if not isinstance(value, float):
        return
    low = 0.0 if parameter.minimum is None else parameter.minimum
    high = 1.0 if parameter.maximum is None and parameter.unit == "andel" else parameter.maximum
    if value < low or (high is not None and value > high):
        span = f"from {low:g} to {high:g}" if high is not None else f"{low:g} or more"
        share = " (a share: 0.5 = 50 %)" if parameter.unit == "andel" else ""
        raise ParameterError(
            f"{value:g} is out of range; {parameter.name} ({parameter.unit}) takes values {span}{share}"
        )


def parse_parameter(name: str, record: object, origin: str) -> Parameter:
    """Build one Parameter from its YAML record, refusing anything malformed and naming file and key."""
    where = f"{origin}, {name}"
    if not isinstance(record, dict):
        raise ParameterError(f"{where}: expected a mapping with {', '.join(REQUIRED)} and values")
    unknown = sorted(set(record) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise ParameterError(f"{where}: unknown key(s) {unknown}; allowed are {sorted(REQUIRED + OPTIONAL)}")
    missing = [key for key in REQUIRED if not record.get(key)]
    if missing:
        raise ParameterError(f"{where}: missing {', '.join(missing)}")
    if record["status"] not in STATUSES:
        raise ParameterError(f"{where}: status {record['status']!r} must be one of {', '.join(STATUSES)}")
    if ("values" in record) == ("value" in record):
        raise ParameterError(f"{where}: give either 'values' (by date) or 'value' (timeless), not both or neither")
    timeless = "value" in record
    raw = {"1900-01-01": record["value"]} if timeless else record["values"]
    if not isinstance(raw, dict):
        raise ParameterError(f"{where}: 'values' must map dates (YYYY-MM-DD) to values")
    pairs = sorted((as_day(day, where), check_value(name, value, where)) for day, value in raw.items())
    days = [day for day, _ in pairs]
    if len(set(days)) != len(days):
        raise ParameterError(f"{where}: the same date appears twice")
    kinds = {type(v).__name__ for _, v in pairs}
    if len(kinds) > 1:
        raise ParameterError(f"{where}: values mix kinds {sorted(kinds)}")
    allowed = tuple(record["allowed"]) if record.get("allowed") else None
    for _, value in pairs:
        if allowed and value not in allowed:
            raise ParameterError(f"{where}: {echo(value)} is not one of {', '.join(map(str, allowed))}")
    valid = record.get("last_value_still_valid_on")
    parameter = Parameter(
        name=name,
        label=str(record.get("label") or name),
        description=str(record["description"]).strip(),
        unit=str(record["unit"]),
        status=record["status"],
        reference=str(record["reference"]).strip(),
        dates=tuple(days),
        values=tuple(value for _, value in pairs),
        valid_until=None if valid is None else as_day(valid, where),
        allowed=allowed,
        timeless=timeless,
        origin=origin,
        per_year=bool(record.get("per_year", False)),
        minimum=float(record["minimum"]) if "minimum" in record else None,
        maximum=float(record["maximum"]) if "maximum" in record else None,
    )
    for _, value in pairs:
        try:
            check_range(parameter, value)
        except ParameterError as exc:
            raise ParameterError(f"{where}: {exc}") from None
    return parameter


class _Core12Resolver(yaml.resolver.BaseResolver):
    """YAML 1.2's core schema for plain scalars (what a person writing 0150000 or 41:40:00 means), not
    PyYAML's YAML 1.1: 012 is 12 (not octal 10), 0150000 is 150000 (not 53 248), 41:40:00 and 1_000 are text
    (not the sexagesimal 150 000 and 1000), yes/no/on/off are text (only true/false are booleans). Dates
    (2019-01-01) are read as dates, as before."""


for _tag, _pattern, _first in [
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+.0123456789",
    ),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("timestamp", yaml.constructor.SafeConstructor.timestamp_regexp.pattern, "0123456789"),  # as YAML 1.1 reads it
]:
    _Core12Resolver.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(_pattern, re.X), list(_first))


def _int12(loader, node) -> int:
    """An integer as YAML 1.2 reads it: decimal (leading zeros too), 0o octal, 0x hexadecimal."""
    text = loader.construct_scalar(node)
    return int(text[2:], 8) if text.startswith("0o") else int(text[2:], 16) if text.startswith("0x") else int(text)


def _float12(loader, node) -> float:
    """A number with a point or an exponent, .inf or .nan, as YAML 1.2 reads it."""
    text = loader.construct_scalar(node).lower()
    return float(text.replace(".inf", "inf").replace(".nan", "nan"))


class _StrictLoader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    yaml.constructor.SafeConstructor,
    _Core12Resolver,
):
    """A safe YAML loader with YAML 1.2's number rules (_Core12Resolver) that refuses a key given twice in one
    mapping (YAML would keep the last), keys that are lists or mappings, explicit tags (`!!binary`,
    `!!python/...`: nothing here needs them), and anchors/aliases (`&a`, `*a`: a few bytes of them can expand
    to gigabytes, and nothing here needs them)."""

    def __init__(self, stream):
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        _Core12Resolver.__init__(self)

    def compose_node(self, parent, index):
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            raise ParameterError(f"line {line}: YAML aliases (*name) are not allowed here; write the value out")
        tag = getattr(event, "tag", None)
        if tag is not None:
            shown = str(tag).replace("tag:yaml.org,2002:", "!!")[:40]
            raise ParameterError(f"line {line}: YAML tags ({shown}) are not allowed here; write the value out plainly")
        return super().compose_node(parent, index)


def _no_duplicates(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, (str, int, float, dt.date)) or isinstance(key, bool):
            raise ParameterError(
                f"line {key_node.start_mark.line + 1}: a key must be a word, a number or a date, not {echo(key)}"
            )
        if key in seen:
            raise ParameterError(f"line {key_node.start_mark.line + 1}: {echo(key)} is given twice")
        seen.add(key)
    return loader.construct_mapping(node, deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def _timestamp(loader, node):
    """A date as YAML reads it; one that cannot be (2019-13-45) stays text, for the date check to name it."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError):
        return loader.construct_scalar(node)


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
_StrictLoader.add_constructor("tag:yaml.org,2002:int", _int12)
_StrictLoader.add_constructor("tag:yaml.org,2002:float", _float12)


def read_text(path: Path, what: str = "file") -> str:
    """A small text file as str: UTF-8 (with or without BOM) or UTF-16 with its BOM; ParameterError if it is no
    regular file, larger than MAX_YAML_BYTES or not text."""
    path = Path(path)
    try:
        data = read_capped(path, MAX_YAML_BYTES, what)
    except Unreadable as exc:
        raise ParameterError(str(exc)) from None
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ParameterError(f"{path}: not UTF-8 text; save the {what} as UTF-8") from None


def read_yaml(path: Path, what: str = "file") -> object:
    """Parse a YAML file safely (size-capped, no aliases, no duplicate keys); errors name the file and line
    but never quote its content."""
    text = read_text(path, what)
    try:
        loader = _StrictLoader(text)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except ParameterError as exc:
        raise ParameterError(f"{path}: {exc}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ParameterError(f"{path}: not valid YAML{where}: {exc.problem or exc.context}") from None
    except (yaml.YAMLError, RecursionError, ValueError, TypeError, OverflowError) as exc:
        raise ParameterError(f"{path}: not valid YAML ({type(exc).__name__})") from None


@dataclass
class ParameterSet(Mapping):
    """All parameters by name; records which ones a computation reads."""

    parameters: dict[str, Parameter]
    _reads: list[dict[str, Parameter]] = field(default_factory=list, repr=False, compare=False)

    def __getitem__(self, name: str) -> Parameter:
        try:
            parameter = self.parameters[name]
        except KeyError:
            raise ParameterError(self.unknown_message(name)) from None
        for reads in self._reads:
            reads[name] = parameter
        return parameter

    def __contains__(self, name: object) -> bool:
        return name in self.parameters

    def __iter__(self) -> Iterator[str]:
        return iter(self.parameters)

    def __len__(self) -> int:
        return len(self.parameters)

    def unknown_message(self, name: str, suggest: bool = True) -> str:
        """'unknown parameter X; did you mean Y?' (when `suggest` and a name is close), else where to look."""
        close = difflib.get_close_matches(name[:100], list(self.parameters), n=3, cutoff=0.6) if suggest else []
        if close:
            return f"unknown parameter {echo(name)}; did you mean {' or '.join(close)}?"
        return f"unknown parameter {echo(name)}; the parameters are listed in sapa_model/parameters/*.yaml"

    def value(self, name: str, day: dt.date | str = "1900-01-01"):
        """The value of a parameter on a day (the only value, for a timeless parameter)."""
        parameter = self[name]
        self.warn_if_stale(parameter, np.array([np.datetime64(day, "D")]))
        return parameter.at(day)

    def series(self, name: str, days: np.ndarray) -> np.ndarray:
        """A parameter's value on each day of an array, warning once if any day is past its last value."""
        parameter = self[name]
        self.warn_if_stale(parameter, days)
        return parameter.series(days)

    def warn_if_stale(self, parameter: Parameter, days: np.ndarray) -> None:
        """Warn once per parameter (ParameterExtrapolationWarning) if any day is past its last known value."""
        stale = parameter.stale(days)
        if stale.any() and parameter.name not in _warned:
            _warned.add(parameter.name)
            warnings.warn(
                f"parameter {parameter.name} is used for {np.asarray(days)[stale].max()} but its last value "
                f"({parameter.values[-1]} {parameter.unit}, from {parameter.dates[-1]}) is known to hold only "
                f"until {parameter.last_valid_day}; it is carried forward",
                ParameterExtrapolationWarning,
                stacklevel=3,
            )

    @contextlib.contextmanager
    def reading(self) -> Iterator[dict[str, Parameter]]:
        """Collect every parameter read inside the block: `with params.reading() as used: ...`."""
        reads: dict[str, Parameter] = {}
        self._reads.append(reads)
        try:
            yield reads
        finally:
            self._reads.remove(reads)

    def with_values(self, changes: Mapping[str, Parameter]) -> ParameterSet:
        """A new set with some parameters replaced; this one is unchanged."""
        return ParameterSet({**self.parameters, **changes})

    def with_status(self, *statuses: str) -> list[str]:
        """Names of the parameters with one of the given statuses (e.g. 'illustrative')."""
        return sorted(name for name, p in self.parameters.items() if p.status in statuses)

    def differences(self, other: ParameterSet) -> list[str]:
        """Names of parameters whose values differ from another set's."""
        return sorted(
            name
            for name, p in self.parameters.items()
            if name not in other.parameters
            or (p.dates, p.values) != (other.parameters[name].dates, other.parameters[name].values)
        )


def merge_values(parameter: Parameter, changes: Mapping, **metadata) -> Parameter:
    """A copy of a parameter with some dated values replaced or added (a scenario override)."""
    merged = dict(zip(parameter.dates, parameter.values))
    merged.update(changes)
    days = sorted(merged)
    valid = parameter.valid_until
    if valid is not None and days[-1] > valid:
        valid = None  # new values beyond the old horizon: the newest holds until the end of its year
    return replace(parameter, dates=tuple(days), values=tuple(merged[d] for d in days), valid_until=valid, **metadata)


@cache
def baseline() -> ParameterSet:
    """The shipped parameters, read from every file in sapa_model/parameters/."""
    parameters: dict[str, Parameter] = {}
    for path in sorted(PARAMETER_DIR.glob("*.yaml")):
        content = read_yaml(path, "parameter file") or {}
        if not isinstance(content, dict):
            raise ParameterError(f"{path}: expected a mapping of parameter names to records")
        for name, record in content.items():
            for full, one in per_wave(str(name), record, path.name):
                if full in parameters:
                    raise ParameterError(f"{path}: parameter {full} is also defined in {parameters[full].origin}")
                parameters[full] = parse_parameter(full, one, path.name)
    return ParameterSet(parameters)


def wave_of(name: str) -> str | None:
    """The SAPA wave a per-wave parameter (<name>.<wave>, see per_wave) is for; None for any other."""
    last = name.rpartition(".")[2]
    return last if last in WAVES else None


def per_wave(name: str, record: object, origin: str) -> list[tuple[str, object]]:
    """A record as the parameters it defines: itself, or with `per_wave` (one value for every wave, or a
    value per wave) one parameter per SAPA wave, named <name>.<wave> and labelled with the wave."""
    if not isinstance(record, dict) or PER_WAVE not in record:
        return [(name, record)]
    values = record[PER_WAVE]
    if not isinstance(values, dict):
        values = dict.fromkeys(WAVES, values)
    values = {str(k): v for k, v in values.items()}
    if set(values) != set(WAVES):
        raise ParameterError(f"{origin}, {name}: per_wave must give every wave ({', '.join(WAVES)})")
    rest = {k: v for k, v in record.items() if k != PER_WAVE}
    return [
        (f"{name}.{w}", {**rest, "label": f"{rest.get('label', name)}, {WAVE_LABELS[w].lower()}", "value": values[w]})
        for w in WAVES
    ]
