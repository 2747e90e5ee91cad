"""One computation of every bill: all municipalities x months, both models, every component."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import datasets
from .events import effective_months, staircase
from .grid import Grid
from .infrastructure import buffet, infrastructure
from .kmd_sag import kmd_sag
from .names import resolve_code
from .new_model import sapa_new, yearly_price
from .old_model import sapa_old
from .population import check_years
from .scenario import Scenario, load_scenario

MODELS = ("old", "new")
DEFAULT_YEARS = range(2019, 2031)
FIRST_YEAR = 2019  # SAPA's first billing year; earlier years have no SAPA bill to compute
COLUMNS = [
    "kommunekode", "kommune", "region", "year", "model", "component", "amount_dkk",
    "population", "population_projected", "wave_inferred", "illustrative", "extrapolated",
]


@dataclass(frozen=True)
class Bills:
    """Monthly invoices (kr.) per (model, component), each (municipalities, months), and what they read."""

    grid: Grid
    monthly: dict[tuple[str, str], np.ndarray]
    price: np.ndarray  # (Y,) new-model SAPA price per knee-weighted inhabitant
    reads: dict[tuple[str, str], dict]  # parameters each component read
    scenario: Scenario

    def yearly(self, key: tuple[str, str]) -> np.ndarray:
        """Yearly sums (M, Y) of one component."""
        return self.grid.by_year(self.monthly[key])


def run(scenario: Scenario | str | Path | None = None, years: Iterable[int] = DEFAULT_YEARS) -> Bills:
    """Compute every monthly invoice for all 98 municipalities in the given years."""
    scenario = load_scenario(scenario)
    params = scenario.params
    grid = Grid.build(params, check_years(years, first=FIRST_YEAR, last=int(params.value("projection.last_year"))))
    monthly, reads = {}, {}

    def component(key, compute):
        with params.reading() as used:
            monthly[key] = compute()
        reads[key] = dict(used)

    with params.reading() as timeline:
        effective = effective_months(params)
        planned = effective_months(params, np.zeros_like(effective))
    component(("old", "sapa"), lambda: sapa_old(grid, staircase(params, effective, grid.months)))
    with params.reading() as used_for_price:
        price = yearly_price(grid, lambda: sapa_old(grid, staircase(params, planned, grid.months)))
    component(("new", "sapa"), lambda: sapa_new(grid, price))
    for model in MODELS:  # billed the same whichever SAPA model applies
        component((model, "infrastructure"), lambda: infrastructure(grid))
        component((model, "buffet"), lambda: buffet(grid))
        component((model, "kmd_sag"), lambda: kmd_sag(grid, effective))
    for key in (("old", "sapa"), ("old", "kmd_sag"), ("new", "kmd_sag")):
        reads[key].update(timeline)
    # The derived price depends on the planned timeline only, never on this scenario's delays.
    reads[("new", "sapa")].update(used_for_price)
    if params.value("sapa.price.method") == "derived":
        reads[("new", "sapa")].update({k: v for k, v in timeline.items() if not k.endswith(".delay")})
    return Bills(grid, monthly, price, reads, scenario)


def _flag_names(parameters: Iterable, predicate) -> str:
    return ", ".join(sorted(p.name for p in parameters if predicate(p)))


def tidy(bills: Bills) -> pd.DataFrame:
    """The long table: one row per municipality, year, model and component, with flags."""
    grid = bills.grid
    table = datasets.municipalities().loc[grid.codes]
    n_m, n_y = grid.population.shape
    inferred = (table["placement"].to_numpy() == "inferred") & (
        table["billing_start"].to_numpy().astype("datetime64[M]") > np.datetime64(grid.params.value("billing.earliest_start"), "M")
    )
    start_year = table["billing_start"].dt.year.to_numpy()
    blocks = []
    for (model, component), monthly in bills.monthly.items():
        used = bills.reads[(model, component)].values()
        stale_by_year = {p.name: grid.by_year(p.stale(grid.days).astype(int)) > 0 for p in used}
        extrapolated = np.array(
            [", ".join(sorted(n for n, stale in stale_by_year.items() if stale[y])) for y in range(n_y)], dtype=object
        )
        uses_population = component != "kmd_sag"
        blocks.append(
            pd.DataFrame(
                {
                    "kommunekode": np.repeat(grid.codes, n_y),
                    "year": np.tile(grid.years, n_m),
                    "model": model,
                    "component": component,
                    "amount_dkk": grid.by_year(monthly).ravel(),
                    "population": grid.population.ravel().astype("int64"),
                    "population_projected": (grid.projected & uses_population).ravel(),
                    "wave_inferred": (
                        (inferred[:, None] & (grid.years[None, :] == start_year[:, None])).ravel()
                        if component == "sapa" else np.zeros(n_m * n_y, bool)
                    ),
                    "illustrative": _flag_names(used, lambda p: p.status == "illustrative"),
                    "extrapolated": np.tile(extrapolated, n_m),
                }
            )
        )
    result = pd.concat(blocks, ignore_index=True)
    result["kommune"] = table["kommune"].reindex(result["kommunekode"]).to_numpy()
    result["region"] = table["region"].reindex(result["kommunekode"]).to_numpy()
    for column in ("model", "component", "kommune", "region", "illustrative", "extrapolated"):
        result[column] = result[column].astype("category")
    result.attrs.update(
        scenario=bills.scenario.name,
        illustrative=sorted({n for v in result["illustrative"].cat.categories for n in v.split(", ") if n}),
        extrapolated=sorted({n for v in result["extrapolated"].cat.categories for n in v.split(", ") if n}),
        sapa_price=dict(zip(grid.years.tolist(), bills.price.tolist())),
    )
    return result[COLUMNS]


def compute(scenario: Scenario | str | Path | None = None, years: Iterable[int] = DEFAULT_YEARS) -> pd.DataFrame:
    """Yearly bills (kr.) for all 98 municipalities: columns kommunekode, kommune, year, model, component, amount_dkk, flags.

    `scenario`: None (the baseline), a path to a scenario YAML file, or a Scenario. `years`: 2019 up to
    projection.last_year. `attrs` holds the scenario name, the illustrative and extrapolated parameters
    used and the new model's SAPA price per year.
    """
    return tidy(run(scenario, years))


def monthly(kommune: str | int, year: int | Iterable[int], scenario: Scenario | str | Path | None = None) -> pd.DataFrame:
    """One municipality's invoices for each month of a year or years (kr.): month, model, component, amount_dkk."""
    code = resolve_code(kommune)
    bills = run(scenario, [year] if isinstance(year, int) else year)
    row = int(np.searchsorted(bills.grid.codes, code))
    frames = [
        pd.DataFrame({"month": bills.grid.months.astype("datetime64[s]"), "model": model, "component": component,
                      "amount_dkk": values[row]})
        for (model, component), values in bills.monthly.items()
    ]
    return pd.concat(frames, ignore_index=True)


def sapa_price(scenario: Scenario | str | Path | None = None, years: Iterable[int] = DEFAULT_YEARS) -> pd.Series:
    """The new model's SAPA price per knee-weighted inhabitant per year (kr.), indexed by year."""
    bills = run(scenario, years)
    return pd.Series(bills.price, index=pd.Index(bills.grid.years, name="year"), name="sapa_price_dkk")
