"""When SAPA billing starts: per wave, and the first year every municipality pays a whole year."""

from __future__ import annotations

import pandas as pd

from ..data import datasets
from ..engine import billing_starts, infrastructure_first_year
from ..scenarios import Scenario, load_scenario


def wave_starts(scenario: Scenario | None = None) -> pd.Series:
    """The billing start of each wave (the engine's rule applied to the wave plan), in wave order."""
    starts = billing_starts(scenario)
    waves = datasets.municipalities()["wave"].reindex(starts.index)
    return starts.groupby(waves).first().reindex(datasets.WAVES)


def first_full_year(scenario: Scenario | None = None) -> int:
    """The first year every municipality is billed all twelve months of SAPA and of the infrastructure."""
    starts = pd.to_datetime(billing_starts(scenario))
    full_sapa = int(starts.dt.year.max() + (starts.dt.month.max() > 1))
    return max(full_sapa, infrastructure_first_year(load_scenario(scenario).params))
