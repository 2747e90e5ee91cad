"""The table's provenance, computed once per distinct case, is exactly what a row-by-row reading gives.

`reference_table` below is the straightforward reading of the rule (for every component, year and wave, then
every municipality with its own parameters, the parameters read, by status, and the stale ones): slow, but
plain. The engine must give the identical table (values, dtypes, categories and attrs) for every scenario.
"""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from sapa_model.components import BY_NAME
from sapa_model import compute, engine
from sapa_model.data import datasets
from sapa_model.data.datasets import WAVES
from sapa_model.parameters import STATUSES, wave_of
from sapa_model.scenarios import scenario_from_data

FLAGGED = ("calibrated", "scenario", "assumption", "illustrative")


def _flags(used, months, grid):
    names = {s: ", ".join(sorted(p.name for p in used if p.status == s)) for s in FLAGGED}
    stale = ", ".join(sorted(p.name for p in used if p.stale(grid.days[months]).any()))
    weakest = max((STATUSES.index(p.status) for p in used), default=0)
    return (*names.values(), stale, STATUSES[weakest])


def _reference_flags(bills, key):
    grid = bills.grid
    n_m, n_y = grid.population.shape
    columns = np.empty((len(FLAGGED) + 2, n_m, n_y), dtype=object)
    for y, year in enumerate(grid.years):
        used = {**bills.reads[key], **bills.year_reads.get(key, {}).get(int(year), {})}
        own: dict[int, list] = {}
        for p in used.values():
            if p.kommunekode is not None:
                own.setdefault(p.kommunekode, []).append(p)
        months = np.flatnonzero(grid.year_index == y)
        for w, wave in enumerate(WAVES):
            general = [p for p in used.values() if p.kommunekode is None and wave_of(p.name) in (None, wave)]
            columns[:, grid.wave_index == w, y] = np.array(_flags(general, months, grid), dtype=object)[:, None]
        for code, mine in own.items():
            m = int(np.searchsorted(grid.codes, code))
            general = [
                q for q in used.values() if q.kommunekode is None and wave_of(q.name) in (None, grid.waves[m])
            ]
            replaced = {name for p in mine for name in p.replaces}
            columns[:, m, y] = _flags([q for q in general if q.name not in replaced] + mine, months, grid)
    return dict(zip((*FLAGGED, "extrapolated", "status"), (c.ravel() for c in columns)))


def reference_table(bills):
    """The long table with its flags read row by row (the rule as written, without any sharing)."""
    grid = bills.grid
    table = datasets.municipalities().loc[grid.codes]
    n_m, n_y = grid.population.shape
    inferred = (table["placement"].to_numpy() == "inferred") & (
        grid.start > np.datetime64(grid.params.value("billing.earliest_start"), "M")
    )
    start_year = grid.start.astype("datetime64[Y]").astype(int) + 1970
    blocks = []
    for (model, component), invoices in bills.invoices.items():
        blocks.append(pd.DataFrame({
            "kommunekode": np.repeat(grid.codes, n_y),
            "year": np.tile(grid.years, n_m),
            "model": model,
            "component": component,
            "amount_dkk": grid.by_year(invoices).ravel(),
            "population": grid.population.ravel().astype("int64"),
            "population_projected": (grid.projected & BY_NAME[component].follows_population).ravel(),
            "wave_inferred": (
                (inferred[:, None] & (grid.years[None, :] == start_year[:, None])).ravel()
                if component == "sapa" else np.zeros(n_m * n_y, bool)
            ),
            **_reference_flags(bills, (model, component)),
        }))
    result = pd.concat(blocks, ignore_index=True)
    result["kommune"] = table["kommune"].reindex(result["kommunekode"]).to_numpy()
    result["region"] = table["region"].reindex(result["kommunekode"]).to_numpy()
    for column in ("model", "component", "kommune", "region", *FLAGGED, "extrapolated"):
        result[column] = result[column].astype("category")
    result["status"] = pd.Categorical(result["status"], categories=STATUSES, ordered=True)
    listed = {
        column: sorted({n for v in result[column].cat.categories for n in v.split(", ") if n})
        for column in (*FLAGGED, "extrapolated")
    }
    listed["from_scenario"] = listed.pop("scenario")
    result.attrs.update(
        scenario=bills.scenario.name,
        **listed,
        unsourced=sorted(set().union(*(names for key, names in listed.items() if key != "extrapolated"))),
        sapa_price=dict(zip(grid.years.tolist(), bills.price.tolist())),
        carried=bills.carried,
        derived=[int(y) for y, d in zip(grid.years, bills.derived) if d],
    )
    return result[engine.COLUMNS]


def _calibrated_with_own_kmd_sag():
    """A scenario calibrated from invoices, two of them KMD Sag (Aalborg, wave 1; Ærø, wave 6: each gets its own
    starting payment), with per-wave delays, the last invoiced price carried forward, a later infrastructure invoice,
    and KMD Sag paid after the modelled switch-off (Ærø's own payment, carried forward)."""
    delays = {"ky": {"6": 6, "2": 3}, "udk": 4, "kmd_sag_off": {"pilot": 2}}
    known = scenario_from_data({"name": "kendt", "delays": delays, "parameters": {
        "sapa.price.method": "given", "sapa.price.per_inhabitant": {"2019-01-01": 9.0, "2021-01-01": 11.37},
        "sapa.knee.rate": 0.35, "kmd_sag.baseline_per_inhabitant": 24.5}})
    truth = compute(known, [2020, 2021])

    def bill(kommune, year, component):
        rows = truth.query("kommune == @kommune and year == @year and component == @component and model == 'new'")
        return round(float(rows["amount_dkk"].iloc[0]), 2)

    invoices = [{"kommune": k, "year": y, "component": c, "amount_dkk": bill(k, y, c), "reference": f"{k} {y}"}
                for k, y, c in [("Aarhus", 2021, "sapa"), ("Læsø", 2021, "sapa"), ("Aalborg", 2020, "kmd_sag"),
                                ("Ærø", 2021, "kmd_sag")]]
    later = [{"kommune": "Læsø", "year": 2024, "component": "infrastructure", "amount_dkk": 47_493.0, "reference": "I"},
             {"kommune": "Ærø", "year": 2025, "component": "kmd_sag", "amount_dkk": 5_000.0, "reference": "K"}]
    return scenario_from_data({"name": "kalibreret", "calibration": invoices + later, "delays": delays})


SCENARIOS = {
    "baseline": lambda: None,
    "knee_100000": lambda: "scenarios/knee_100000.yaml",
    "ky_delayed_12m": lambda: "scenarios/ky_delayed_12m.yaml",
    "kombit_prices_template": lambda: "scenarios/kombit_prices_template.yaml",
    "pl_index_template": lambda: "scenarios/pl_index_template.yaml",
    "per_wave_delays": lambda: scenario_from_data({"name": "bølger", "delays": {"udk": {"4": 6, "pilot": 1}}}),
    "calibrated_own_kmd_sag": _calibrated_with_own_kmd_sag,
}
YEARS = {"default": None, "one": [2021], "long": range(2019, 2041)}


@pytest.fixture(scope="module")
def scenarios():
    return {name: make() for name, make in SCENARIOS.items()}


def _assert_identical(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert list(got.dtypes) == list(want.dtypes)
    for column in got.columns:
        if isinstance(want[column].dtype, pd.CategoricalDtype):
            assert got[column].cat.ordered == want[column].cat.ordered
            assert got[column].cat.categories.dtype == want[column].cat.categories.dtype
            assert got[column].cat.categories.tolist() == want[column].cat.categories.tolist()
            assert (got[column].cat.codes.to_numpy() == want[column].cat.codes.to_numpy()).all()
    assert got.attrs == want.attrs


@pytest.mark.parametrize("years", YEARS, ids=str)
@pytest.mark.parametrize("name", SCENARIOS)
def test_the_table_is_the_row_by_row_reading(scenarios, name, years):
    bills = engine.run(scenarios[name], YEARS[years])
    _assert_identical(engine.tidy(bills), reference_table(bills))


def test_the_calibrated_case_has_municipalities_with_their_own_parameters(scenarios):
    """The calibrated scenario does exercise the own-parameter path: Aalborg's and Ærø's KMD Sag rows name their
    own starting payment and not the general baseline it replaces, while their neighbours keep the general one."""
    table = compute(scenarios["calibrated_own_kmd_sag"])
    kmd = table[(table["component"] == "kmd_sag") & (table["year"] == 2021)].set_index(["kommune", "model"])
    for kommune, code in (("Aalborg", 851), ("Ærø", 492)):
        assert kmd.loc[(kommune, "new"), "calibrated"] == f"kmd_sag.baseline.{code}"
        assert "kmd_sag.baseline_per_inhabitant" not in kmd.loc[(kommune, "new"), "illustrative"]
    assert "kmd_sag.baseline_per_inhabitant" in kmd.loc[("Aarhus", "new"), "illustrative"]
    assert kmd.loc[("Aarhus", "new"), "calibrated"] == ""


def test_a_value_known_to_hold_until_mid_year_makes_its_whole_year_extrapolated():
    """The buffet price known to hold only until 30 June 2022: 2022 is read past that day (July-December), so
    2022 and later are flagged, 2021 is not; the table is still the row-by-row reading."""
    bills = engine.run(None, [2021, 2022, 2023])
    price = replace(bills.year_reads[("new", "buffet")][2021]["buffet.price_per_inhabitant"],
                    valid_until=np.datetime64("2022-06-30"))
    swap = lambda used: {**used, price.name: price} if price.name in used else used
    year_reads = {key: {y: swap(used) for y, used in years.items()} for key, years in bills.year_reads.items()}
    bills = replace(bills, year_reads=year_reads)
    table = engine.tidy(bills)
    _assert_identical(table, reference_table(bills))
    buffet = table[table["component"] == "buffet"].groupby("year")["extrapolated"].unique()
    assert list(buffet[2021]) == [""]
    assert list(buffet[2022]) == list(buffet[2023]) == ["buffet.price_per_inhabitant"]
