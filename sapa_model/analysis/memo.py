"""Results computed once per process for the scenario in use: every municipal report of a build reads the same
draws, so a worker computes them for all 98 once."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from ..scenarios import Scenario, load_scenario

T = TypeVar("T")


def per_scenario(function: Callable[..., T]) -> Callable[..., T]:
    """Keep the last result of `function(scenario, *args)`, keyed by the scenario's content and the arguments: one
    scenario at a time, so memory stays bounded."""
    kept: dict[tuple, T] = {}

    @wraps(function)
    def cached(scenario: Scenario | None, *args) -> T:
        scenario = load_scenario(scenario)
        key = (scenario.to_yaml(), scenario.source, *(tuple(a) if isinstance(a, (list, range)) else a for a in args))
        if key not in kept:
            kept.clear()
            kept[key] = function(scenario, *args)
        return kept[key]

    return cached
