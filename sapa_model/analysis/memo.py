"""Results computed once per process for the scenario in use: every municipal report of a build reads the same
draws, so a worker computes them for all 98 once."""

from __future__ import annotations

import importlib
import inspect
import pickle
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TypeVar

from ..scenarios import Scenario, load_scenario

T = TypeVar("T")


def per_scenario(function: Callable[..., T]) -> Callable[..., T]:
    """Keep the last result of `function(scenario, *args)`, keyed by the scenario's content and the arguments (an
    argument left out counts as its default): one scenario at a time, so memory stays bounded. The results kept
    are `kept(function)`, for another process to start with."""
    kept: dict[tuple, T] = {}
    signature = inspect.signature(function)

    @wraps(function)
    def cached(scenario: Scenario | None, *args) -> T:
        scenario = load_scenario(scenario)
        given = signature.bind(scenario, *args)
        given.apply_defaults()
        key = (
            scenario.to_yaml(),
            scenario.source,
            *(tuple(a) if isinstance(a, (list, range)) else a for a in given.args[1:]),
        )
        if key not in kept:
            kept.clear()
            kept[key] = function(scenario, *args)
        return kept[key]

    cached.kept = kept  # type: ignore[attr-defined]
    return cached


def kept(function: Callable) -> dict[tuple, object]:
    """The results a per_scenario function keeps, by key (a build hands them to its workers)."""
    return function.kept  # type: ignore[attr-defined]


def save_results(path: Path, functions: list[Callable]) -> None:
    """Write what per_scenario functions keep to a file (pickle) that load_results() reads: a report build
    computes them once and every worker starts with them."""
    results = {(f.__module__, f.__name__): kept(f) for f in functions}
    path.write_bytes(pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL))


def load_results(path: Path | str) -> None:
    """Start with the results a build saved (save_results); only for a file the build itself wrote."""
    for (module, name), results in pickle.loads(Path(path).read_bytes()).items():
        kept(getattr(importlib.import_module(module), name)).update(results)
