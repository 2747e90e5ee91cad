"""The arrays every rule works on: municipalities x months, built once per computation.

The grid is the rules' one window onto the data: population (observed, then projected as the
parameters say), each municipality's wave and billing start, laid out for the years computed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data import datasets
from ..data import population as people
from ..errors import DataError
from ..parameters import ParameterSet
from .calendar import billed, month_grid, start_month, year_of


def first_billing_year(params: ParameterSet) -> int:
    """SAPA's first billing year (the year of the earliest billing start): no SAPA bill exists before it."""
    return int(params.value("billing.earliest_start").year)


def last_model_year(params: ParameterSet) -> int:
    """The last year the model computes (projection.last_year)."""
    return int(params.value("projection.last_year"))


def population_matrix(params: ParameterSet, years: list[int]):
    """Population (code x year) and 'projected' flags for the given years, projected as the parameters say."""
    forecast = str(params.value("projection.forecast_file"))
    table, projected = people.projected(
        str(params.value("projection.method")),
        int(params.value("projection.trend_years")),
        last_model_year(params),
        forecast,
        people.stamp(forecast),
    )
    return table[years], projected[years]


@dataclass(frozen=True)
class Grid:
    """Municipalities x months for the given years, with population and billing already laid out."""

    params: ParameterSet
    codes: np.ndarray  # (M,) municipality codes
    waves: np.ndarray  # (M,) each municipality's SAPA wave ('pilot', '1', ... '6')
    wave_index: np.ndarray  # (M,) its position in datasets.WAVES: picks its wave's row of a (waves, T) array
    years: np.ndarray  # (Y,)
    months: np.ndarray  # (T,) datetime64[M]
    year_index: np.ndarray  # (T,) position in years of each month
    population: np.ndarray  # (M, Y) inhabitants on 1 January
    projected: np.ndarray  # (M, Y) True where the population is projected
    start: np.ndarray  # (M,) datetime64[M], the month SAPA billing starts
    billed: np.ndarray  # (M, T) True from the municipality's SAPA billing start

    @classmethod
    def build(cls, params: ParameterSet, years: list[int]) -> Grid:
        """Lay out population and billing for all 98 municipalities and the given (checked) years."""
        table, projected = population_matrix(params, years)
        months = month_grid(years)
        municipalities = datasets.municipalities().loc[table.index]
        start = start_month(municipalities["course_end"].to_numpy(), params.value("billing.earliest_start"))
        return cls(
            params=params,
            codes=table.index.to_numpy(),
            waves=municipalities["wave"].to_numpy(dtype=str),
            wave_index=np.array([datasets.WAVES.index(w) for w in municipalities["wave"]]),
            years=np.array(years, dtype=int),
            months=months,
            year_index=np.searchsorted(np.array(years), year_of(months)),
            population=table.to_numpy(dtype=float),
            projected=projected.to_numpy(),
            start=start,
            billed=billed(start, months),
        )

    @property
    def days(self) -> np.ndarray:
        """First day of each month (for reading parameters)."""
        return self.months.astype("datetime64[D]")

    @property
    def population_by_month(self) -> np.ndarray:
        """Population on 1 January of each month's year: (M, T)."""
        return self.population[:, self.year_index]

    def population_in(self, year: int) -> np.ndarray:
        """Population on 1 January of any observed year (e.g. a baseline year), in the grid's order: (M,)."""
        observed = datasets.observed_population()
        if year not in observed.columns:
            raise DataError(
                f"no observed population for {year}; the observed years are "
                f"{people.first_year()}-{people.last_observed_year()}"
            )
        return observed[year].reindex(self.codes).to_numpy(dtype=float)

    def per_month(self, name: str) -> np.ndarray:
        """A parameter's value in each month: (T,)."""
        return self.params.series(name, self.days)

    def by_year(self, monthly: np.ndarray) -> np.ndarray:
        """Sum the last axis (12 months per year, in order) into years: (..., T) -> (..., Y)."""
        return monthly.reshape((*monthly.shape[:-1], len(self.years), 12)).sum(axis=-1)
