"""Scenarios: what-if overrides of the parameters (validated in full, never changing the baseline), and
the delay distributions the Monte Carlo draws from."""

from .overrides import BASELINE, Scenario, apply_overrides, combine, load_scenario, scenario_from_data

__all__ = ["BASELINE", "Scenario", "apply_overrides", "combine", "load_scenario", "scenario_from_data"]
