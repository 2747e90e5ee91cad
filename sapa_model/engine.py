"""One computation of every bill: all municipalities x months, both models, every component."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from . import components
from .data import datasets
from .data import population as people
from .data.datasets import WAVES
from .data.names import resolve_code
from .errors import ParameterError, ScenarioError
from .parameters import STATUSES, ParameterSet, baseline, wave_of, whole_in_range
from .rules import buffet as buffet_rule
from .rules import infrastructure as infrastructure_rule
from .rules import new_model
from .rules.buffet import buffet, buffet_price
from .rules.calendar import billed, month_grid
from .rules.events import effective_months, event_names, staircase
from .rules.grid import Grid, first_billing_year, last_model_year, population_matrix
from .rules.infrastructure import infrastructure, infrastructure_first_year, infrastructure_price
from .rules.kmd_sag import kmd_sag, paid_paths, per_krone, starting_payment
from .rules.knee import price_per_inhabitant, weighted
from .rules.new_model import derived_price, known_price, neutral_price, sapa_new, units
from .rules.old_model import full_price_bill, sapa_old
from .rules.prices import INDEX as PRICE_INDEX
from .rules.prices import has_index as has_price_index
from .rules.prices import index_levels as price_levels
from .rules.prices import regulated as carried_with_index
from .scenarios import Scenario, load_scenario
from .scenarios.montecarlo import draw_delays

MODELS = ("old", "new")
COMPONENTS = components.NAMES
COLUMNS = [
    "kommunekode", "kommune", "region", "year", "model", "component", "amount_dkk", "population",
    "population_projected", "wave_inferred", "status", "calibrated", "scenario", "assumption", "illustrative",
    "extrapolated",
]  # fmt: skip
ScenarioLike = Scenario | str | Path | None
# Each priced payment's known prices, first wins (announced, invoiced, documented): what a carried price comes from.
KNOWN_PRICES = {
    "sapa": new_model.PRICES,
    "infrastructure": (*infrastructure_rule.PRICES, infrastructure_rule.DOCUMENTED),
    "buffet": (*buffet_rule.PRICES, buffet_rule.DOCUMENTED),
}
__all__ = [  # the engine's public surface; the layers above read the rules only through these names
    "COLUMNS",
    "COMPONENTS",
    "FLAGGED",
    "KNOWN_PRICES",
    "MODELS",
    "PRICE_INDEX",
    "QUANTILES",
    "STATS",
    "Bills",
    "ScenarioLike",
    "billing_starts",
    "carried_with_index",
    "compute",
    "default_years",
    "event_names",
    "first_billing_year",
    "has_price_index",
    "infrastructure_first_year",
    "last_model_year",
    "model_years",
    "monthly",
    "months_billed",
    "neutral_price",
    "population",
    "population_table",
    "price_levels",
    "price_per_inhabitant",
    "quantiles",
    "rest_on",
    "risk",
    "run",
    "sapa_price",
    "units",
    "weighted",
]  # fmt: skip


def default_years(params: ParameterSet | None = None) -> range:
    """The years computed when none are given: SAPA's first billing year to horizon.default_last_year."""
    params = baseline() if params is None else params
    return range(first_billing_year(params), int(params.value("horizon.default_last_year")) + 1)


def model_years(years: Iterable[int] | int | None, params: ParameterSet) -> list[int]:
    """The years to compute, checked: from SAPA's first billing year to projection.last_year."""
    years = default_years(params) if years is None else years
    return people.check_years(years, first_billing_year(params), last_model_year(params))


@dataclass(frozen=True)
class Bills:
    """Monthly invoices (kr.) per (model, component), each (municipalities, months), and what they read."""

    grid: Grid
    invoices: dict[tuple[str, str], np.ndarray]
    price: np.ndarray  # (Y,) new-model SAPA price per knee-weighted inhabitant
    reads: dict[tuple[str, str], dict]  # parameters each component read, in every year
    year_reads: dict[tuple[str, str], dict[int, dict]]  # and those it read for one year only
    scenario: Scenario
    carried: dict[str, dict[int, int]]  # per price carried forward: {year: the known year it comes from}
    derived: np.ndarray  # (Y,) True where SAPA's price is derived (no known price to carry)

    def yearly(self, key: tuple[str, str]) -> np.ndarray:
        """Yearly sums (M, Y) of one component."""
        return self.grid.by_year(self.invoices[key])


def run(scenario: ScenarioLike = None, years: Iterable[int] | int | None = None) -> Bills:
    """Compute every monthly invoice for all 98 municipalities in the given years (default: default_years())."""
    scenario = load_scenario(scenario)
    params = scenario.params
    grid = Grid.build(params, model_years(years, params))
    invoices: dict[tuple[str, str], np.ndarray] = {}
    reads: dict[tuple[str, str], dict] = {}

    def component(key, compute):
        with params.reading() as used:
            invoices[key] = compute()
        reads[key] = dict(used)

    with params.reading() as timeline_reads:
        effective = effective_months(params)
        planned = effective_months(params, np.zeros_like(effective))
    component(("old", "sapa"), lambda: sapa_old(grid, staircase(params, effective, grid.months)))
    year_reads: dict[tuple[str, str], dict[int, dict]] = {}
    calendar = grid.years.tolist()
    # SAPA's price: known (announced, invoiced) or carried forward from the last known year; before the first
    # known price (and, if sapa.price.after_known says so, in every year without its own) derived from the
    # planned timeline (never from this scenario's delays). Each year's figures say which.
    known = known_price(params, calendar)
    derive = np.isnan(known.values) | (
        (known.known_from != grid.years) & (params.value("sapa.price.after_known") == "derived")
    )
    price, price_reads = known.values.copy(), list(known.reads)
    if derive.any():
        with params.reading() as for_price:
            if params.value("sapa.price.method") == "given":
                missing = ", ".join(str(y) for y in grid.years[derive])
                raise ParameterError(
                    f"sapa.price.method is 'given' but no SAPA price is known for {missing}; enter them in the "
                    "scenario's prices section, or use the derived method"
                )
            price[derive] = derived_price(grid, lambda: sapa_old(grid, staircase(params, planned, grid.months)))[derive]
        for_price.update({k: v for k, v in timeline_reads.items() if not k.endswith(".delay")})
        price_reads = [dict(for_price) if d else r for d, r in zip(derive, price_reads)]
    year_reads[("new", "sapa")] = dict(zip(calendar, price_reads))
    component(("new", "sapa"), lambda: sapa_new(grid, price))
    paths = {
        "sapa": known,
        "infrastructure": infrastructure_price(params, calendar),
        "buffet": buffet_price(params, calendar),
    }
    infrastructure_month, buffet_month = (paths[c].values[grid.year_index] for c in ("infrastructure", "buffet"))
    paid = paid_paths(grid)
    for model in MODELS:  # billed the same whichever SAPA model applies
        component((model, "infrastructure"), lambda: infrastructure(grid, infrastructure_month))
        component((model, "buffet"), lambda: buffet(grid, buffet_month))
        component((model, "kmd_sag"), lambda: kmd_sag(grid, effective, paid))
        for c in ("infrastructure", "buffet"):
            year_reads[(model, c)] = dict(zip(calendar, paths[c].reads))
        year_reads[(model, "kmd_sag")] = _own_reads(grid, paid)
    for key in (("old", "sapa"), ("old", "kmd_sag"), ("new", "kmd_sag")):
        reads[key].update(timeline_reads)
    broken = [f"{model} {part}" for (model, part), values in invoices.items() if not np.isfinite(values).all()]
    if broken or not np.isfinite(price).all():
        raise ScenarioError(
            f"scenario {scenario.name}: its values give amounts that are not finite numbers "
            f"({', '.join(broken) or 'the SAPA price'}); check the prices and the knee"
        )
    carried = {c: path.carried for c, path in paths.items() if path.carried}
    carried |= {f"kmd_sag.{grid.codes[m]}": path.carried for m, path in paid.items() if path.carried}
    return Bills(grid, invoices, price, reads, year_reads, scenario, carried, derive)


def _own_reads(grid: Grid, paid: dict) -> dict[int, dict]:
    """Per year, what the KMD Sag payments fixed by a municipality's own invoices rest on: that municipality's
    own parameters (a carried-forward year's rule and index, as its own, so no other municipality's row names
    them)."""
    reads: dict[int, dict] = {}
    for row, path in paid.items():
        code = int(grid.codes[row])
        for year, read in zip(path.years, path.reads):
            own = {
                (n if p.kommunekode else f"{n}.{code}"): (
                    p if p.kommunekode else replace(p, name=f"{n}.{code}", kommunekode=code)
                )
                for n, p in read.items()
            }
            reads.setdefault(year, {}).update(own)
    return reads


# What a row's figure rests on, most certain first (parameters.STATUSES); each status below 'seed' is listed
# by name in its own column, and `status` gives the least certain one the row rests on.
FLAGGED = ("calibrated", "scenario", "assumption", "illustrative")
FLAG_COLUMNS = (*FLAGGED, "extrapolated", "status")


def provenance(bills: Bills) -> tuple[np.ndarray, list[tuple[str, ...]]]:
    """What each figure rests on, worked out once per distinct case: (K, M, Y) case numbers, K the keys of
    `bills.invoices`, and per case its FLAG_COLUMNS (the parameter names per flagged status, the stale ones,
    the weakest status). A figure reads the parameters of its component and year that bear on its
    municipality's wave (all but another wave's own ones), and a municipality's own parameters (e.g. its
    calibrated KMD Sag payment) stand in for the general ones they replace."""
    grid = bills.grid
    keys = list(bills.invoices)
    by_year = [bills.year_reads.get(key, {}) for key in keys]  # what a key read for one year only
    params = {}
    for key, years in zip(keys, by_year):
        params.update(bills.reads[key])
        for one in years.values():
            params.update(one)
    names = sorted(params)
    where = {name: i for i, name in enumerate(names)}
    listed = [params[name] for name in names]
    n_k, n_y, n_w, n_p = len(keys), len(grid.years), len(WAVES), len(names)
    reads = np.zeros((n_k, n_y, n_p), bool)
    for k, (key, years) in enumerate(zip(keys, by_year)):
        reads[k, :, [where[name] for name in bills.reads[key]]] = True
        for y, year in enumerate(grid.years):
            reads[k, y, [where[name] for name in years.get(int(year), ())]] = True
    general = np.array([p.kommunekode is None for p in listed])
    wave = np.array([wave_of(name) or "" for name in names])  # "": a parameter for every wave
    bears = general & ((wave == "") | (wave == np.array(WAVES)[:, None]))  # (W, P)
    # (Y, P): past its last known day in some month of the year, so on the first of December (12 months a year)
    stale = np.array([p.stale(grid.days[11::12]) for p in listed]).reshape(n_p, n_y).T
    # The general case of each key, year and wave ...
    read = (reads[:, :, None, :] & bears).reshape(-1, n_p)  # (K * Y * W, P)
    late = (reads[:, :, None, :] & bears & stale[:, None, :]).reshape(-1, n_p)
    case = np.arange(n_k * n_y * n_w).reshape(n_k, n_y, n_w)[:, :, grid.wave_index].transpose(0, 2, 1)  # (K, M, Y)
    # ... and, where a municipality has its own parameters, its own case.
    own = reads & ~general
    if own.any():
        owner = np.searchsorted(grid.codes, [-1 if p.kommunekode is None else p.kommunekode for p in listed])
        replaced = np.array([np.isin(names, p.replaces) for p in listed])  # (P, P)
        extra_read: list[np.ndarray] = []
        extra_late: list[np.ndarray] = []
        for k, y, m in sorted({(k, y, int(owner[p])) for k, y, p in zip(*np.nonzero(own))}):
            mine = own[k, y] & (owner == m)
            row = read[(k * n_y + y) * n_w + grid.wave_index[m]] & ~replaced[mine].any(axis=0) | mine
            case[k, m, y] = len(read) + len(extra_read)
            extra_read.append(row)
            extra_late.append(row & stale[y])
        read, late = np.vstack([read, *extra_read]), np.vstack([late, *extra_late])
    packed = np.packbits(np.hstack([read, late]), axis=1)
    seen: dict[bytes, int] = {}
    number = np.array([seen.setdefault(row.tobytes(), len(seen)) for row in packed])  # the same case, the same number
    first = np.unique(number, return_index=True)[1]  # a row standing for each distinct case
    kept = np.zeros(len(first), bool)
    kept[number[case]] = True  # the cases some figure rests on
    status = np.array([STATUSES.index(p.status) for p in listed])
    labels = np.array(names, dtype=object)
    flags = [
        (
            *(", ".join(labels[read[i] & (status == STATUSES.index(s))]) for s in FLAGGED),
            ", ".join(labels[late[i]]),
            STATUSES[status[read[i]].max(initial=0)],
        )
        for i in first[kept]
    ]
    return (np.cumsum(kept) - 1)[number[case]], flags


@cache
def _dtype(categories: tuple[str, ...], ordered: bool = False) -> pd.CategoricalDtype:
    """A categorical dtype, made once for each set of categories (the same ones come back every computation)."""
    return pd.CategoricalDtype(list(categories), ordered=ordered)


def _categorical(values: Sequence[str], codes: np.ndarray, dtype: pd.CategoricalDtype | None = None) -> pd.Categorical:
    """`values[codes]` as a categorical column, of the dtype given or else with the values as categories, sorted."""
    dtype = _dtype(tuple(sorted(set(values)))) if dtype is None else dtype
    lookup = {v: i for i, v in enumerate(dtype.categories)}
    small = np.array([lookup[v] for v in values], dtype=np.int8 if len(lookup) < 127 else np.int32)
    return pd.Categorical.from_codes(small[codes], dtype=dtype, validate=False)


def tidy(bills: Bills) -> pd.DataFrame:
    """The long table: one row per municipality, year, model and component, with flags."""
    grid = bills.grid
    table = datasets.municipalities().loc[grid.codes]
    keys = list(bills.invoices)
    n_k, (n_m, n_y) = len(keys), grid.population.shape
    # A 2019 figure depends on an inferred wave placement only where that placement decides the billing start.
    inferred = (table["placement"].to_numpy() == "inferred") & (
        grid.start > np.datetime64(grid.params.value("billing.earliest_start"), "M")
    )
    start_year = grid.start.astype("datetime64[Y]").astype(int) + 1970
    first_year = inferred[:, None] & (grid.years[None, :] == start_year[:, None])
    follows = np.array([components.BY_NAME[c].follows_population for _, c in keys])[:, None, None]
    is_sapa = np.array([c == "sapa" for _, c in keys])[:, None, None]
    municipality = np.tile(np.repeat(np.arange(n_m), n_y), n_k)
    block = np.repeat(np.arange(n_k), n_m * n_y)
    case, flags = provenance(bills)
    case, values = case.ravel(), dict(zip(FLAG_COLUMNS, zip(*flags)))
    columns = {
        "kommunekode": np.tile(np.repeat(grid.codes, n_y), n_k),
        "kommune": _categorical(table["kommune"].tolist(), municipality),
        "region": _categorical(table["region"].tolist(), municipality),
        "year": np.tile(grid.years, n_m * n_k),
        "model": _categorical([m for m, _ in keys], block),
        "component": _categorical([c for _, c in keys], block),
        "amount_dkk": np.concatenate([grid.by_year(invoices).ravel() for invoices in bills.invoices.values()]),
        "population": np.tile(grid.population.ravel().astype("int64"), n_k),
        "population_projected": (grid.projected & follows).ravel(),
        "wave_inferred": (first_year & is_sapa).ravel(),
        **{column: _categorical(values[column], case) for column in (*FLAGGED, "extrapolated")},
        "status": _categorical(values["status"], case, _dtype(STATUSES, ordered=True)),
    }
    result = pd.DataFrame({column: columns[column] for column in COLUMNS}, copy=False)
    listed = {
        column: sorted({n for v in values[column] for n in v.split(", ") if n}) for column in (*FLAGGED, "extrapolated")
    }
    listed["from_scenario"] = listed.pop("scenario")  # attrs["scenario"] is the scenario's name
    result.attrs.update(
        scenario=bills.scenario.name,
        **listed,
        unsourced=sorted(set().union(*(names for key, names in listed.items() if key != "extrapolated"))),
        sapa_price=dict(zip(grid.years.tolist(), bills.price.tolist())),
        carried=bills.carried,
        derived=[int(y) for y, d in zip(grid.years, bills.derived) if d],
    )
    return result


def compute(scenario: ScenarioLike = None, years: Iterable[int] | None = None) -> pd.DataFrame:
    """Yearly bills (kr.) for all 98 municipalities: columns kommunekode, kommune, year, model, component, amount_dkk, flags.

    `scenario`: None (the baseline), a path to a scenario YAML file, or a Scenario. `years`: from SAPA's
    first billing year up to projection.last_year (default: default_years()). `attrs` holds the scenario name, the illustrative and extrapolated parameters
    used and the new model's SAPA price per year.
    """
    return tidy(run(scenario, years))


def monthly(kommune: str | int, year: int | Iterable[int], scenario: ScenarioLike = None) -> pd.DataFrame:
    """One municipality's invoices for each month of a year or years (kr.): month, model, component, amount_dkk."""
    code = resolve_code(kommune)
    bills = run(scenario, year)
    row = int(np.searchsorted(bills.grid.codes, code))
    frames = [
        pd.DataFrame(
            {
                "month": bills.grid.months.astype("datetime64[s]"),
                "model": model,
                "component": component,
                "amount_dkk": values[row],
            }
        )
        for (model, component), values in bills.invoices.items()
    ]
    return pd.concat(frames, ignore_index=True)


def sapa_price(scenario: ScenarioLike = None, years: Iterable[int] | None = None) -> pd.Series:
    """The new model's SAPA price per knee-weighted inhabitant per year (kr.), indexed by year."""
    bills = run(scenario, years)
    return pd.Series(bills.price, index=pd.Index(bills.grid.years, name="year"), name="sapa_price_dkk")


def billing_starts(scenario: ScenarioLike = None) -> pd.Series:
    """Each municipality's first SAPA billing month (the billing-start rule applied to its wave), by code."""
    params = load_scenario(scenario).params
    grid = Grid.build(params, [first_billing_year(params)])
    return pd.Series(
        grid.start.astype("datetime64[D]").astype(object),
        index=pd.Index(grid.codes, name="kommunekode"),
        name="billing_start",
    )


def population_table(years: Iterable[int] | None = None, scenario: ScenarioLike | ParameterSet = None) -> pd.DataFrame:
    """Tidy table: kommunekode, kommune, region, year, population, projected (True after the last observed
    year), projected as the scenario's parameters say. Default: every year from the first observed one."""
    params = scenario if isinstance(scenario, ParameterSet) else load_scenario(scenario).params
    last = last_model_year(params)
    years = people.check_years(
        range(people.first_year(), last + 1) if years is None else years, people.first_year(), last
    )
    table, projected = population_matrix(params, years)
    tidy = table.stack().rename("population").to_frame()
    tidy["projected"] = projected.stack()
    tidy.index.names = ["kommunekode", "year"]
    names = datasets.municipalities()[["kommune", "region"]]
    return tidy.reset_index().join(names, on="kommunekode")[
        ["kommunekode", "kommune", "region", "year", "population", "projected"]
    ]


def population(name_or_code: str | int, year: int, scenario: ScenarioLike | ParameterSet = None) -> int:
    """Population on 1 January of the year for one municipality (projected after the last observed year)."""
    table = population_table([year], scenario)
    return int(table.loc[table["kommunekode"] == resolve_code(name_or_code), "population"].iloc[0])


# -- What the layers above read from the rules, through the engine ------------------------------------
# The analyses and views never import rules/; what they need of the rules is in __all__ (above) and here.


def months_billed(year: int, scenario: ScenarioLike = None) -> pd.Series:
    """How many months of a year each municipality is billed for SAPA (0-12), by code."""
    starts = billing_starts(scenario)
    counts = billed(starts.to_numpy().astype("datetime64[M]"), month_grid([year])).sum(axis=1)
    return pd.Series(counts, index=starts.index, name="months")


def rest_on(table: pd.DataFrame, parameter, stale: bool = False) -> pd.DataFrame:
    """Record in a compute() table's flags and attrs that every figure also rests on one more parameter (e.g. the
    price index used to restate it), as compute() records the ones it read; the table is changed in place and
    returned."""
    column = parameter.status  # the flag column named after the status (calibrated, scenario, ...)
    if column in FLAGGED and column in table:
        names = table[column].astype(str)
        table[column] = (names + ", " + parameter.name).str.lstrip(", ").astype("category")
        rank = STATUSES.index(parameter.status)
        weaker = table["status"].map(lambda s: s if STATUSES.index(s) >= rank else parameter.status)
        table["status"] = pd.Categorical(weaker, categories=STATUSES, ordered=True)
    if column in FLAGGED:
        key = "from_scenario" if column == "scenario" else column
        table.attrs[key] = sorted({*table.attrs.get(key, []), parameter.name})
        table.attrs["unsourced"] = sorted({*table.attrs.get("unsourced", []), parameter.name})
    if stale:
        table.attrs["extrapolated"] = sorted({*table.attrs.get("extrapolated", []), parameter.name})
    return table


# -- Delay uncertainty: the whole bill ---------------------------------------------------------------

QUANTILES = {"p05": 0.05, "p50": 0.5, "p95": 0.95}  # column name -> quantile of the draws
STATS = ("mean", *QUANTILES)  # what a spread over draws gives: the mean, then the quantiles
RISK_COLUMNS = ["kommunekode", "kommune", "year", "model", "component", "timeline", *STATS]


def quantiles(values: np.ndarray) -> np.ndarray:
    """The QUANTILES over the draws (first axis) of each column: (len(QUANTILES), ...), as np.quantile's default
    (linear) gives them, by one sort of the draws laid out contiguously (several times faster)."""
    flat = values.reshape(values.shape[0], -1)
    ordered = np.sort(np.ascontiguousarray(flat.T), axis=1)
    position = np.array(list(QUANTILES.values())) * (flat.shape[0] - 1)
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, flat.shape[0] - 1)
    weight = (position - low)[None, :]
    result = ordered[:, low] * (1 - weight) + ordered[:, high] * weight  # (columns, quantiles)
    return result.T.reshape((len(position), *values.shape[1:]))


def _spread(values: np.ndarray) -> np.ndarray:
    """Mean and the 5, 50 and 95 % quantiles over the draws (first axis): (4, ...)."""
    return np.concatenate([values.mean(axis=0)[None], np.quantile(values, list(QUANTILES.values()), axis=0)])


def _quantiles_counted(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """np.quantile(draws, QUANTILES, axis=0) of draws that take the row values[u] counts[u] times, without
    writing the draws out: values (U, M), counts (U,) -> (3, M). Interpolates as np.quantile's 'linear' method
    (Hyndman and Fan's 7th) does, between the same two draws, so the result is the same to the bit."""
    n = int(counts.sum())
    order = np.argsort(values, axis=0)
    ranked = np.take_along_axis(values, order, axis=0)
    below = np.cumsum(counts[order], axis=0)  # (U, M): the draws at or below each ranked value

    def nth(k: int) -> np.ndarray:  # the k-th smallest draw (from 0)
        return np.take_along_axis(ranked, (below <= k).sum(axis=0, keepdims=True), axis=0)[0]

    quantiles = []
    for q in QUANTILES.values():
        virtual = (n - 1) * q  # where np.quantile places q among n sorted draws
        low = math.floor(virtual)
        gamma = virtual - low
        a, b = nth(low), nth(min(low + 1, n - 1))
        quantiles.append(b - (b - a) * (1 - gamma) if gamma >= 0.5 else a + (b - a) * gamma)
    return np.stack(quantiles)


def _lines(old_sapa, kmd, new_sapa, infrastructure, buffet) -> dict[tuple[str, str], np.ndarray]:
    """Every line of the whole bill from its parts: each model's components and total, and the difference of
    the totals (new - old). A line that is the same object as another (KMD Sag under both models, ...) is one."""
    shared = infrastructure + buffet + kmd
    lines = {
        ("old", "sapa"): old_sapa,
        ("new", "sapa"): new_sapa,
        ("old", "kmd_sag"): kmd,
        ("new", "kmd_sag"): kmd,
        ("old", "total"): old_sapa + shared,
        ("new", "total"): new_sapa + shared,
        ("difference", "total"): new_sapa - old_sapa,
    }
    for model in MODELS:
        lines[(model, "infrastructure")], lines[(model, "buffet")] = infrastructure, buffet
    return lines


# How a draw-by-draw computation lays out each line's (draws, M) array: KMD Sag, and the new total built on it,
# come municipality by municipality (from per-wave columns). A mean or a sum adds in the order of the layout,
# so risk() keeps it: the same figures to the last bit.
BY_MUNICIPALITY = {("old", "kmd_sag"), ("new", "kmd_sag"), ("new", "total")}


@dataclass(frozen=True)
class _Cases:
    """The draws of one year as cases: a wave's bill depends on a draw only through the month of the year each
    event reaches the wave (0: before the year, 12: after it), so draws alike in that are one case."""

    first: np.ndarray  # (C,) one draw of each case, wave after wave
    rows: np.ndarray  # (waves + 1,) wave w's cases are rows[w]:rows[w + 1]
    which: list[np.ndarray]  # per wave, (N,): each draw's case, from 0
    counts: list[np.ndarray]  # per wave, (cases,): how many draws each case stands for
    place: np.ndarray  # (J, M): for each distinct combination of the waves' cases, each municipality's case row x M
    joint: np.ndarray  # (N,): each draw's combination

    @classmethod
    def of(cls, effective: np.ndarray, month: int, wave_index: np.ndarray) -> _Cases:
        """The cases of the year starting in `month` (months since 1970-01) for draws' `effective` months."""
        within = np.clip(effective - month, 0, 12)  # (N, events, waves)
        case = np.ravel_multi_index(tuple(np.moveaxis(within, 1, 0)), (13,) * within.shape[1])  # (N, waves)
        alike = [np.unique(c, return_index=True, return_inverse=True, return_counts=True)[1:] for c in case.T]
        rows = np.cumsum([0, *(len(counts) for _, _, counts in alike)])
        joint = np.zeros(len(effective), dtype=np.int64)
        for _, which, counts in alike:  # numbered afresh after each wave, so the numbers stay below N
            joint = np.unique(joint * len(counts) + which, return_inverse=True)[1]
        first_of_joint = np.unique(joint, return_index=True)[1]
        in_table = np.stack([which[first_of_joint] for _, which, _ in alike], axis=1) + rows[:-1]  # (J, waves)
        return cls(
            first=np.concatenate([first for first, _, _ in alike]),
            rows=rows,
            which=[which for _, which, _ in alike],
            counts=[counts for _, _, counts in alike],
            place=in_table[:, wave_index] * len(wave_index) + np.arange(len(wave_index)),
            joint=joint,
        )

    def old_sapa_and_kmd(
        self, grid: Grid, effective: np.ndarray, full: np.ndarray, start: np.ndarray, y: int, by_wave: list
    ) -> tuple[np.ndarray, np.ndarray]:
        """The old model's SAPA bill and the KMD Sag bill in year y (kr.) per case, for its wave's members: (C, M)
        each (another wave's columns 0)."""
        months = slice(12 * y, 12 * (y + 1))
        share = staircase(grid.params, effective[self.first], grid.months[months])  # (C, waves, 12)
        kmd_share = per_krone(grid, effective[self.first], grid.months[months]).sum(axis=-1)  # (C, waves)
        old_sapa, kmd = np.zeros((len(self.first), len(grid.codes))), np.zeros((len(self.first), len(grid.codes)))
        for w, (members, which) in enumerate(zip(by_wave, self.which)):
            mine = slice(self.rows[w], self.rows[w + 1])
            # np.matmul's last bit depends on how many rows it is given: over every draw, as a draw's own bill
            drawn = share[mine, w][which] @ full[members, months].T
            old_sapa[mine, members] = drawn[self.first[mine]]
            kmd[mine, members] = kmd_share[mine, w][:, None] * start[members]
        return old_sapa, kmd

    def drawn(self, per_case: np.ndarray, by_municipality: bool) -> np.ndarray:
        """A line's (cases, M) table written out draw by draw, (N, M), laid out as BY_MUNICIPALITY says."""
        values = per_case.ravel()[self.place][self.joint]
        return np.asfortranarray(values) if by_municipality else values

    def quantiles(self, per_case: np.ndarray, by_wave: list[np.ndarray]) -> np.ndarray:
        """The line's 5/50/95 % quantiles over the draws per municipality, each wave's from its cases: (3, M)."""
        result = np.empty((len(QUANTILES), per_case.shape[1]))
        for w, (members, counts) in enumerate(zip(by_wave, self.counts)):
            result[:, members] = _quantiles_counted(per_case[self.rows[w] : self.rows[w + 1], members], counts)
        return result


def risk(
    scenario: ScenarioLike = None,
    draws: int | None = None,
    seed: int | None = None,
    years: Iterable[int] | int | None = None,
) -> pd.DataFrame:
    """The whole bill under drawn monopoly-break delays: per municipality, year, model and component (sapa,
    infrastructure, buffet, kmd_sag, total; and model 'difference', component 'total': new - old), the bill on
    the scenario's own timeline and the mean and 5/50/95 % quantiles over the draws (kr.).

    The old model's SAPA share and KMD Sag respond to the same draws (a delay lowers the one and prolongs the
    other); the new model's SAPA price is fixed, so its SAPA line has no spread, but its KMD Sag does.
    `attrs['national']` holds the same for all 98 together per year, `attrs['national_period']` summed over all
    the years, and `attrs['unsourced']` the Monte Carlo's inputs that are not documented sources.
    Reproducible for a given seed; the draws are processed a year at a time, each wave's alike draws once.
    """
    scenario = load_scenario(scenario)
    given = scenario.params  # draws and seed are checked against their parameters' ranges before any work
    draws = (
        int(given.value("montecarlo.draws"))
        if draws is None
        else whole_in_range(draws, given["montecarlo.draws"], "draws", low=1)  # a scenario's least is more
    )
    seed = (
        int(given.value("montecarlo.seed")) if seed is None else whole_in_range(seed, given["montecarlo.seed"], "seed")
    )
    bills = run(scenario, years)
    grid, params = bills.grid, bills.grid.params
    with params.reading() as inputs:
        delays = draw_delays(params, draws, seed)  # (N, events, waves)
    effective = effective_months(params, delays)
    full, start = full_price_bill(grid), starting_payment(grid)
    on_plan = _timeline(bills)  # every line on the scenario's own timeline; the delays leave some alone
    n_m = len(grid.codes)
    by_wave = [np.flatnonzero(grid.wave_index == w) for w in range(len(WAVES))]
    stats = STATS
    blocks: list[dict[str, np.ndarray]] = []
    national: list[dict] = []
    period: dict[tuple[str, str], tuple] = {}
    with threadpool_limits(1, user_api="blas"):  # small products: BLAS threads would only wait on each other
        for y, year in enumerate(grid.years):
            cases = _Cases.of(effective, int(grid.months[12 * y].astype(int)), grid.wave_index)
            old_sapa, kmd = cases.old_sapa_and_kmd(grid, effective, full, start, y, by_wave)
            lines = _lines(old_sapa, kmd, *(on_plan[("new", c)][:, y] for c in ("sapa", "infrastructure", "buffet")))
            done: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # per line object: its spread and national draws
            for (model, component), per_case in lines.items():
                if id(per_case) not in done:
                    if per_case.ndim == 1:  # a line the delays leave alone: every draw alike
                        values = np.broadcast_to(per_case, (draws, n_m))
                        spread = np.vstack([values.mean(axis=0), *[per_case] * len(QUANTILES)])
                    else:
                        values = cases.drawn(per_case, (model, component) in BY_MUNICIPALITY)
                        spread = np.vstack([values.mean(axis=0), cases.quantiles(per_case, by_wave)])
                    done[id(per_case)] = spread, values.sum(axis=1)
                spread, summed = done[id(per_case)]
                timeline = on_plan[(model, component)][:, y]
                blocks.append(
                    {
                        "kommunekode": grid.codes,
                        "year": np.full(n_m, int(year)),
                        "model": np.full(n_m, model, dtype=object),
                        "component": np.full(n_m, component, dtype=object),
                        "timeline": timeline,
                        **dict(zip(stats, spread)),
                    }
                )
                national.append(
                    {
                        "year": int(year),
                        "model": model,
                        "component": component,
                        "timeline": timeline.sum(),
                        **dict(zip(stats, _spread(summed))),
                    }
                )
                total, planned = period.get((model, component), (0.0, 0.0))
                period[(model, component)] = (total + summed, planned + timeline.sum())
    table = pd.DataFrame({column: np.concatenate([b[column] for b in blocks]) for column in blocks[0]})
    table.insert(1, "kommune", datasets.municipalities()["kommune"].reindex(table["kommunekode"]).to_numpy())
    whole = [
        {"model": m, "component": c, "timeline": planned, **dict(zip(stats, _spread(np.asarray(summed))))}
        for (m, c), (summed, planned) in period.items()
    ]
    table.attrs.update(
        national=pd.DataFrame(national),
        national_period=pd.DataFrame(whole),
        draws=draws,
        seed=seed,
        scenario=bills.scenario.name,
        unsourced=sorted(n for n, p in inputs.items() if p.status not in ("sourced", "seed")),
    )
    return table[RISK_COLUMNS]


def _timeline(bills: Bills) -> dict[tuple[str, str], np.ndarray]:
    """Each line's yearly bill on the scenario's own timeline (no drawn delays): (M, Y) per key."""
    lines = {key: bills.yearly(key) for key in bills.invoices}
    for model in MODELS:
        lines[(model, "total")] = np.sum([lines[(model, c)] for c in COMPONENTS], axis=0)
    lines[("difference", "total")] = lines[("new", "total")] - lines[("old", "total")]
    return lines
