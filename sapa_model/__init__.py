"""sapa_model: what Danish municipalities pay for KOMBIT's SAPA, under the old and the new settlement model.

The package is layered; each layer imports only from the layers below it:

    data  <-  parameters  <-  rules  <-  scenarios  <-  engine  <-  analysis  <-  views  <-  report / app  <-  cli
"""

from importlib import import_module
from typing import TYPE_CHECKING

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
from .version import __version__

# The rest is imported when first used, so that `import sapa_model` (and the `sapa` command's start, which
# answers Ctrl-C and --help at once) does not wait for pandas and numpy.
_HOMES = {
    "followup": ".analysis.followup",
    "followup_all": ".analysis.followup",
    "outlook": ".analysis.outlook",
    "Municipality": ".data.names",
    "municipality": ".data.names",
    "resolve_code": ".data.names",
    **dict.fromkeys(("compute", "monthly", "population", "population_table", "risk", "sapa_price"), ".engine"),
    "ParameterSet": ".parameters",
    "baseline": ".parameters",
    **dict.fromkeys(("Scenario", "combine", "load_scenario"), ".scenarios"),
}

if TYPE_CHECKING:
    from .analysis.followup import followup, followup_all
    from .analysis.outlook import outlook
    from .data.names import Municipality, municipality, resolve_code
    from .engine import compute, monthly, population, population_table, risk, sapa_price
    from .parameters import ParameterSet, baseline
    from .scenarios import Scenario, combine, load_scenario


def __getattr__(name: str):
    """One of the package's functions or classes, imported the first time it is asked for."""
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


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
