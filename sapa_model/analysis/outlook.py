"""The budget year's own uncertainty: how far each municipality's bill for the budget year and its overslagsår may
turn out from the figure budgeted, from what is not known yet when the budget is adopted.

Three sources, each drawn `draws` times (the new model; amounts in current prices, as invoiced):

- the population on 1 January (it is projected): the projection method's errors measured by backtesting it on
  Statistics Denmark's own series (data.population.backtest), a draw taking the errors every municipality of its
  size made from one year the projection could have been made from: errors of the same origin year move together,
  and an error path's horizons stay as they were;
- each price not yet known for a year (carried forward from the last known year, or derived): outlook.price_sd
  (an assumption) times the square root of the years since it was known;
- KL's pris- og lønskøn, when an index is given: outlook.pl_sd percentage points a year from the budget year on,
  on every amount regulated with it (prices carried with P/L, KMD Sag).

Delays of the 2019-21 rollout no longer move a budget-year bill; risk() covers them, as history.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..components import BY_NAME
from ..components import NAMES as COMPONENTS
from ..data import datasets
from ..data import population as people
from ..engine import STATS, carried_with_index, compute, has_price_index, quantiles, weighted
from ..errors import SapaError, echo
from ..scenarios import Scenario, load_scenario
from .budget import budget_years, check_budget_year
from .memo import per_scenario

KNEE = {"sapa": "sapa.knee", "infrastructure": "infrastructure.knee"}  # the payments whose inhabitants are weighted
OUTLOOK_COLUMNS = ["kommunekode", "kommune", "year", "component", "central", *STATS]


def billed_inhabitants(component: str, population, params, year: int) -> np.ndarray:
    """The inhabitants a payment is billed for in a year: knee-weighted where it has a knee (SAPA, the
    infrastructure), as they are otherwise; KMD Sag follows no population (ones)."""
    population = np.asarray(population, dtype=float)
    if not BY_NAME[component].follows_population:
        return np.ones_like(population)
    if component not in KNEE:
        return population
    day = f"{year}-01-01"
    knee = params.value(f"{KNEE[component]}.threshold", day), params.value(f"{KNEE[component]}.rate", day)
    return np.asarray(weighted(population, *knee), dtype=float)


def population_factor(component: str, population, other, params, year: int) -> np.ndarray:
    """What a payment of a year is multiplied by when the population on 1 January is `other` instead of
    `population` (arrays that broadcast): the ratio of the inhabitants billed (1 for KMD Sag)."""
    billed = billed_inhabitants(component, population, params, year)
    return billed_inhabitants(component, other, params, year) / np.maximum(billed, 1)


def checked_draws(draws: object, params) -> int:
    """A number of draws within montecarlo.draws' bounds; SapaError names the range otherwise."""
    bounds = params["montecarlo.draws"]
    low, high = int(bounds.minimum or 1), int(bounds.maximum or 1)
    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or not low <= draws <= high:
        raise SapaError(f"draws must be a whole number from {low} to {high}, not {echo(draws)}")
    return int(draws)


def population_method(params) -> str:
    """The projection method in use, with 'best' resolved to the method it stands for."""
    method = str(params.value("projection.method"))
    return people.best_method(int(params.value("projection.trend_years"))) if method == "best" else method


def population_errors(params, horizons: np.ndarray, draws: int, rng: np.random.Generator) -> np.ndarray:
    """Relative errors of the projected population, (draws, M, len(horizons)): per draw one origin year of the
    backtest, and per municipality the error path of a municipality of its size (a third by population) from that
    origin. Horizons beyond the backtest's take its last one, widened by the square root of the ratio."""
    errors = people.backtest(population_method(params), int(params.value("projection.trend_years")))
    longest = errors.shape[2]
    used = np.clip(horizons, 1, longest) - 1
    complete = np.flatnonzero(~np.isnan(errors[:, :, used]).any(axis=(0, 2)))  # origins with every horizon observed
    size = datasets.observed_population().iloc[:, -1].rank(method="first").to_numpy()
    tercile = np.minimum((3 * (size - 1) // len(size)).astype(int), 2)
    origin = rng.choice(complete, size=draws)
    donor = np.empty((draws, len(size)), dtype=int)
    for group in range(3):
        members = np.flatnonzero(tercile == group)
        donor[:, members] = rng.choice(members, size=(draws, len(members)))
    drawn = errors[donor[:, :, None], origin[:, None, None], used[None, None, :]]
    widen = np.sqrt(np.maximum(horizons, 1) / np.minimum(np.maximum(horizons, 1), longest))
    return np.where(horizons[None, None, :] >= 1, drawn * widen[None, None, :], 0.0)


def outlook(
    scenario: Scenario | str | None = None,
    budget_year: int | None = None,
    draws: int | None = None,
    seed: int | None = None,
) -> pd.DataFrame:
    """The budget year's and its overslagsår's uncertainty under the new model: per municipality, year and
    component (sapa, infrastructure, buffet, kmd_sag, and total) the budgeted figure (`central`, as compute()
    gives it) and the mean and 5/50/95 % quantiles over the draws (kr., current prices).

    `attrs['sources']` names each source of uncertainty, its parameters and their status, and the population
    error measured in the backtest per horizon; `attrs['national']` holds the same for all 98 together.
    Reproducible for a given seed; the draws are processed a year at a time, so memory stays bounded.
    """
    scenario = load_scenario(scenario)
    params = scenario.params
    year = check_budget_year(budget_year, params)
    draws = checked_draws(int(params.value("montecarlo.draws")) if draws is None else draws, params)
    seed = int(params.value("montecarlo.seed")) if seed is None else seed
    years = budget_years(year)
    table = compute(scenario, years)
    new = table[table["model"] == "new"]
    new.attrs = {}  # the table's attrs would be copied by every selection below
    codes = np.sort(new["kommunekode"].unique())
    rng = np.random.default_rng(seed)
    last_observed = people.last_observed_year()
    population_error = population_errors(params, np.array(years) - last_observed, draws, rng)  # (N, M, Y)
    price_shock = dict(zip(("sapa", "infrastructure", "buffet"), rng.standard_normal((3, draws))))
    index = has_price_index(params)
    pl_shock = rng.standard_normal(draws) if index else np.zeros(draws)
    regulated = carried_with_index(params)
    price_sd, pl_sd = float(params.value("outlook.price_sd")), float(params.value("outlook.pl_sd")) / 100
    carried, derived = table.attrs.get("carried", {}), set(table.attrs.get("derived", []))
    blocks, national = [], []
    for y, when in enumerate(years):
        rows = new[new["year"] == when].set_index(["component", "kommunekode"])["amount_dkk"]
        population = new[(new["year"] == when) & (new["component"] == "sapa")].set_index("kommunekode")["population"]
        population = population.reindex(codes).to_numpy(dtype=float)
        grown = population[None, :] * (1 + population_error[:, :, y])
        pl_years = when - year + 1  # years of KL's skøn from the budget year on
        lines = {}
        for component in COMPONENTS:
            central = rows.loc[component].reindex(codes).to_numpy(dtype=float)
            factor = population_factor(component, population, grown, params, when) * np.ones((draws, len(codes)))
            known_from = carried.get(component, {}).get(when)
            unknown = known_from is not None or (component == "sapa" and when in derived)
            if unknown:
                since = when - (known_from if known_from is not None else year - 1)
                factor = factor * (1 + price_sd * np.sqrt(since) * price_shock[component])[:, None]
            if (known_from is not None and regulated) or (component == "kmd_sag" and index):
                factor = factor * (1 + pl_sd * np.sqrt(pl_years) * pl_shock)[:, None]
            lines[component] = (central, central[None, :] * factor)
        lines["total"] = (sum(c for c, _ in lines.values()), sum(d for _, d in lines.values()))
        for component, (central, drawn) in lines.items():
            stats = np.concatenate([drawn.mean(axis=0)[None], quantiles(drawn)])
            blocks.append(
                pd.DataFrame(
                    {"kommunekode": codes, "year": when, "component": component, "central": central}
                    | dict(zip(STATS, stats))
                )
            )
            summed = drawn.sum(axis=1)
            national.append(
                {
                    "year": when,
                    "component": component,
                    "central": central.sum(),
                    **dict(zip(STATS, [summed.mean(), *quantiles(summed)])),
                }
            )
    result = pd.concat(blocks, ignore_index=True)
    result["kommune"] = datasets.municipalities()["kommune"].reindex(result["kommunekode"]).to_numpy()
    result = result[OUTLOOK_COLUMNS]
    result.attrs.update(
        scenario=scenario.name,
        budget_year=year,
        draws=draws,
        seed=seed,
        national=pd.DataFrame(national),
        sources=_sources(params, index, last_observed),
        carried=table.attrs["carried"],
        derived=table.attrs["derived"],
    )
    return result


def _sources(params, index: bool, last_observed: int) -> list[dict]:
    """Each source of uncertainty: what it is, its parameters and their status, and for the population the
    backtest's mean absolute error per horizon (years ahead of the last observed year)."""
    method = population_method(params)
    measured = people.mean_error(method, int(params.value("projection.trend_years")))
    own = bool(params.value("projection.forecast_file"))
    return [
        {
            "source": "population",
            "method": method,
            "own_forecast": own,
            "parameters": ["projection.method", "projection.trend_years"],
            "status": params["projection.method"].status,
            "measured_from": (people.first_year(), last_observed),
            "mean_abs_error": {h + 1: float(e) for h, e in enumerate(measured)},
        },
        {"source": "price", "parameters": ["outlook.price_sd"], "status": params["outlook.price_sd"].status},
        {
            "source": "pl",
            "applies": index,
            "parameters": ["outlook.pl_sd", "prices.index"],
            "status": params["outlook.pl_sd"].status,
        },
    ]


@per_scenario
def outlook_table(scenario: Scenario | None, budget_year: int, draws: int | None = None) -> pd.DataFrame:
    """outlook() for a scenario, budget year and number of draws, computed once per process."""
    return outlook(scenario, budget_year, draws)
