"""The monopoly-break events (KSD, KY, UDK, KMD Sag switched off): which there are, and when they happen."""

from __future__ import annotations

import re

import numpy as np

from ..parameters import ParameterSet

END_EVENT = "kmd_sag_off"  # KMD Sag's contract can only end once every other monopoly system is gone


def event_names(params: ParameterSet) -> list[str]:
    """The monopoly-break events of the old model, in the order of their planned dates."""
    names = {m.group(1) for name in params for m in [re.match(r"old_model\.events\.(\w+)\.planned_date$", name)] if m}
    return sorted(names, key=lambda e: params.parameters[f"old_model.events.{e}.planned_date"].values[0])


def planned_months(params: ParameterSet) -> np.ndarray:
    """Planned month of each event, as month numbers (months since 1970-01), in event_names() order."""
    return np.array(
        [
            np.datetime64(params.value(f"old_model.events.{e}.planned_date"), "M").astype(int)
            for e in event_names(params)
        ]
    )


def scenario_delays(params: ParameterSet) -> np.ndarray:
    """Each event's delay in this scenario, in months."""
    return np.array([int(params.value(f"old_model.events.{e}.delay")) for e in event_names(params)])


def effective_months(params: ParameterSet, delays: np.ndarray | None = None) -> np.ndarray:
    """Month number each event happens: planned + delay; the end of KMD Sag waits for all others.

    `delays` may have leading dimensions (e.g. Monte Carlo draws x events); default: the scenario's delays.
    """
    delays = scenario_delays(params) if delays is None else np.asarray(delays)
    happen = planned_months(params) + delays
    end = event_names(params).index(END_EVENT)
    happen[..., end] = happen.max(axis=-1)
    return happen


def happened(effective: np.ndarray, months: np.ndarray) -> np.ndarray:
    """True where an event has happened by the start of a month: shape (..., events, months)."""
    return months.astype("datetime64[M]").astype(int) >= effective[..., :, None]


def staircase(params: ParameterSet, effective: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Share of the old model's full price paid in each month: base share + weights of events happened."""
    weights = np.array([params.value(f"old_model.events.{e}.weight") for e in event_names(params)])
    return params.value("old_model.base_share") + np.einsum("e,...et->...t", weights, happened(effective, months))
