"""The arrays every rule works on: municipalities x months, built once per computation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import datasets
from .billing import billed, month_grid, year_of
from .params import ParameterSet
from .population import population_matrix


@dataclass(frozen=True)
class Grid:
    """Municipalities x months for the given years, with population and billing already laid out."""

    params: ParameterSet
    codes: np.ndarray  # (M,) municipality codes
    years: np.ndarray  # (Y,)
    months: np.ndarray  # (T,) datetime64[M]
    year_index: np.ndarray  # (T,) position in years of each month
    population: np.ndarray  # (M, Y) inhabitants on 1 January
    projected: np.ndarray  # (M, Y) True where the population is projected
    billed: np.ndarray  # (M, T) True from the municipality's SAPA billing start

    @classmethod
    def build(cls, params: ParameterSet, years) -> Grid:
        """Lay out population and billing for all 98 municipalities and the given years."""
        table, projected = population_matrix(years, params)
        years = np.array(table.columns, dtype=int)
        months = month_grid(years)
        start = datasets.municipalities()["billing_start"].to_numpy().astype("datetime64[M]")
        earliest = np.datetime64(params.value("billing.earliest_start"), "M")
        return cls(
            params=params,
            codes=table.index.to_numpy(),
            years=years,
            months=months,
            year_index=np.searchsorted(years, year_of(months)),
            population=table.to_numpy(dtype=float),
            projected=projected.to_numpy(),
            billed=billed(np.maximum(start, earliest), months),
        )

    @property
    def days(self) -> np.ndarray:
        """First day of each month (for reading parameters)."""
        return self.months.astype("datetime64[D]")

    @property
    def monthly_population(self) -> np.ndarray:
        """Population on 1 January of each month's year: (M, T)."""
        return self.population[:, self.year_index]

    def monthly(self, name: str) -> np.ndarray:
        """A parameter's value in each month: (T,)."""
        return self.params.series(name, self.days)

    def by_year(self, monthly: np.ndarray) -> np.ndarray:
        """Sum the last axis (12 months per year, in order) into years: (..., T) -> (..., Y)."""
        return monthly.reshape(monthly.shape[:-1] + (len(self.years), 12)).sum(axis=-1)
