"""sapa_model: what Danish municipalities pay for KOMBIT's SAPA, under the old and the new settlement model."""

from importlib.metadata import PackageNotFoundError, version

from .errors import (
    DataError,
    ParameterError,
    ParameterExtrapolationWarning,
    SapaError,
    ScenarioError,
    UnknownMunicipalityError,
    YearOutOfRangeError,
)
from .names import Municipality, municipality, resolve_code
from .params import ParameterSet, baseline
from .engine import compute, monthly, sapa_price
from .population import population, population_table
from .scenario import Scenario, combine, load_scenario

try:
    __version__ = version("sapa-budget")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"

__all__ = [
    "DataError",
    "Municipality",
    "ParameterError",
    "ParameterExtrapolationWarning",
    "ParameterSet",
    "SapaError",
    "ScenarioError",
    "UnknownMunicipalityError",
    "YearOutOfRangeError",
    "Scenario",
    "baseline",
    "combine",
    "compute",
    "load_scenario",
    "monthly",
    "sapa_price",
    "municipality",
    "population",
    "population_table",
    "resolve_code",
]
