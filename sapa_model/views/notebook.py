"""The cell after a notebook's parameters: validate them, load the scenario, compute, set up charts."""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass, replace

import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from ..analysis.budget import Basis, budget_years, check_budget_year, express, horizon
from ..data import datasets
from ..data.names import Municipality, municipality
from ..engine import compute, infrastructure_first_year, model_years
from ..errors import NotebookParameterError, ParameterExtrapolationWarning, SapaError, echo
from ..scenarios import Scenario, load_scenario
from . import render, terms


class Parameters(BaseModel):
    """Every parameter a notebook may take; each notebook uses the ones it declares."""

    model_config = ConfigDict(extra="forbid")
    scenario: str = ""
    budget_year: int | None = None
    unit: int = 1
    prices: int | None = None
    first_year: int | None = None
    last_year: int | None = None
    kommune: str | int | None = None
    region: str = ""
    draws: int | None = None


@dataclass
class Context:
    """What a notebook works with once its parameters are valid."""

    scenario: Scenario
    years: list[int]
    table: pd.DataFrame  # compute()'s table, amounts in the basis's price level and moms (kroner)
    municipality: Municipality | None
    region: str
    year: int  # the budget year
    basis: Basis
    draws: int  # Monte Carlo draws: the notebook's parameter, else the scenario's montecarlo.draws

    @property
    def budget_years(self) -> list[int]:
        """The budget year and its overslagsår."""
        return budget_years(self.year)

    @property
    def infrastructure_from(self) -> int:
        """The first year the infrastructure is invoiced on its own, in this scenario."""
        return infrastructure_first_year(self.scenario.params)

    @property
    def caption(self) -> str:
        """The unit, price level and moms the notebook's budget tables state: '1.000 kr., løbende priser, ekskl. moms'."""
        return terms.caption(self.basis, self.params)

    def axis(self, per: str = "år") -> str:
        """The title of a chart axis for amounts in kroner: 'kr. pr. år'."""
        return terms.axis(per)

    @property
    def kroner_caption(self) -> str:
        """The same for a table or chart in kroner whatever the budget tables' unit: 'kr., løbende priser, …'."""
        return terms.caption(replace(self.basis, unit=1), self.params)

    @property
    def terms(self) -> str:
        """The price level and moms, without a unit (beside 'mio. kr.' or an axis in kr.): 'løbende priser, …'."""
        return terms.terms(self.basis, self.params)

    @property
    def params(self):
        """The scenario's parameters."""
        return self.scenario.params

    def knee(self, kind: str = "sapa") -> tuple[float, float]:
        """The knee (threshold, rate) of 'sapa' or 'infrastructure' in the budget year, as this scenario sets it."""
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
    params = scenario.params
    try:
        year = check_budget_year(given.budget_year, params)
        basis = Basis(given.unit, given.prices).check(params)
    except SapaError as exc:
        raise NotebookParameterError(str(exc)) from None
    default = horizon(year, params)
    first = default[0] if given.first_year is None else given.first_year
    last = default[-1] if given.last_year is None else given.last_year
    if first > last:
        raise NotebookParameterError(f"first_year {first} is after last_year {last}")
    years = model_years(range(first, last + 1), params)
    bounds = params["montecarlo.draws"]
    low, high = int(bounds.minimum or 0), int(bounds.maximum or 0)
    if given.draws is not None and not low <= given.draws <= high:
        raise NotebookParameterError(f"draws must be between {low} and {high}, not {given.draws}")
    region = given.region.strip()
    if region and region not in datasets.REGIONS:
        close = difflib.get_close_matches(region.capitalize(), datasets.REGIONS, n=1, cutoff=0.5)
        hint = f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(datasets.REGIONS)} or '' for all"
        raise NotebookParameterError(f"unknown region {echo(region)}; {hint}")
    place = municipality(given.kommune) if given.kommune not in (None, "") else None
    warnings.simplefilter("ignore", ParameterExtrapolationWarning)  # the banner lists them instead
    render.enable()
    table = express(compute(scenario, years), basis, params)
    draws = int(params.value("montecarlo.draws")) if given.draws is None else given.draws
    return Context(scenario, years, table, place, region, year, basis, draws)
