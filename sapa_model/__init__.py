"""sapa_model: what Danish municipalities pay for KOMBIT's SAPA, under the old and the new settlement model.

The package is layered; each layer imports only from the layers below it:

    data  <-  parameters  <-  rules  <-  scenarios  <-  engine  <-  analysis  <-  views  <-  report / app  <-  cli
"""

from .analysis.followup import followup, followup_all
from .analysis.outlook import outlook
from .data.names import Municipality, municipality, resolve_code
from .engine import compute, monthly, population, population_table, risk, sapa_price
from .errors import (
    DataError,
    FollowupError,
    ParameterError,
    ParameterExtrapolationWarning,
    SapaError,
    ScenarioError,
    UnknownMunicipalityError,
    YearOutOfRangeError,
)
from .parameters import ParameterSet, baseline
from .scenarios import Scenario, combine, load_scenario
from .version import __version__

__all__ = [
    "DataError",
    "FollowupError",
    "Municipality",
    "ParameterError",
    "ParameterExtrapolationWarning",
    "ParameterSet",
    "SapaError",
    "Scenario",
    "ScenarioError",
    "UnknownMunicipalityError",
    "YearOutOfRangeError",
    "__version__",
    "baseline",
    "combine",
    "compute",
    "followup",
    "followup_all",
    "load_scenario",
    "monthly",
    "municipality",
    "outlook",
    "population",
    "population_table",
    "resolve_code",
    "risk",
    "sapa_price",
]
