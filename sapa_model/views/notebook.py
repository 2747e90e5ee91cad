"""The cell after a notebook's parameters: validate them, load the scenario, compute, set up charts."""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass

import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from ..data import datasets
from ..data.names import Municipality, municipality
from ..engine import compute, default_years, model_years
from ..errors import NotebookParameterError, ParameterExtrapolationWarning
from ..rules.infrastructure import first_billed_year
from ..scenarios import Scenario, load_scenario
from . import charts


class Parameters(BaseModel):
    """Every parameter a notebook may take; each notebook uses the ones it declares."""

    model_config = ConfigDict(extra="forbid")
    scenario: str = ""
    first_year: int | None = None
    last_year: int | None = None
    kommune: str | int | None = None
    region: str = ""
    year: int | None = None
    invoice_year: int | None = None
    draws: int | None = None

    @field_validator("draws")
    @classmethod
    def _draws(cls, value):
        if value is not None and not 10 <= value <= 1_000_000:
            raise ValueError("draws must be between 10 and 1.000.000")
        return value


@dataclass
class Context:
    """What a notebook works with once its parameters are valid."""

    scenario: Scenario
    years: list[int]
    table: pd.DataFrame
    municipality: Municipality | None
    region: str
    year: int
    invoice_year: int
    draws: int | None

    @property
    def infrastructure_from(self) -> int:
        """The first year the infrastructure is invoiced on its own, in this scenario."""
        return first_billed_year(self.scenario.params)

    @property
    def params(self):
        """The scenario's parameters."""
        return self.scenario.params

    def knee(self, kind: str = "sapa") -> tuple[float, float]:
        """The knee (threshold, rate) of 'sapa' or 'infrastructure' in the summary year, as this scenario sets it."""
        day = f"{max(self.year, self.infrastructure_from) if kind == 'infrastructure' else self.year}-01-01"
        return self.params.value(f"{kind}.knee.threshold", day), self.params.value(f"{kind}.knee.rate", day)


def setup(**parameters) -> Context:
    """Validate the notebook's parameters and compute its table; NotebookParameterError says what is wrong."""
    try:
        given = Parameters(**parameters)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise NotebookParameterError(f"invalid notebook parameter(s): {problems}") from None
    scenario = load_scenario(given.scenario or None)
    default = default_years(scenario.params)
    first = default[0] if given.first_year is None else given.first_year
    last = default[-1] if given.last_year is None else given.last_year
    if first > last:
        raise NotebookParameterError(f"first_year {first} is after last_year {last}")
    years = model_years(range(first, last + 1), scenario.params)
    year = given.year if given.year is not None else min(2022, years[-1])
    invoice_year = given.invoice_year if given.invoice_year is not None else years[0]
    for name, value in (("year", year), ("invoice_year", invoice_year)):
        if value not in years:
            raise NotebookParameterError(f"{name} {value} is outside first_year-last_year ({years[0]}-{years[-1]})")
    region = given.region.strip()
    if region and region not in datasets.REGIONS:
        close = difflib.get_close_matches(region.capitalize(), datasets.REGIONS, n=1, cutoff=0.5)
        hint = f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(datasets.REGIONS)} or '' for all"
        raise NotebookParameterError(f"unknown region {region!r}; {hint}")
    place = municipality(given.kommune) if given.kommune not in (None, "") else None
    warnings.simplefilter("ignore", ParameterExtrapolationWarning)  # the banner lists them instead
    charts.enable()
    return Context(scenario, years, compute(scenario, years), place, region, year, invoice_year, given.draws)
