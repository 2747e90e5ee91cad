"""The monopoly-break events (KSD, KY, UDK, KMD Sag switched off): which there are, and when they reach each
SAPA wave: the national planned date plus the wave's offset, plus the scenario's delays (national and the
wave's own). Arrays are laid out (..., events, waves)."""

from __future__ import annotations

import re

import numpy as np

from ..data.datasets import WAVES
from ..parameters import ParameterSet

END_EVENT = "kmd_sag_off"  # KMD Sag's contract can only end once every other monopoly system is gone


def event_names(params: ParameterSet) -> list[str]:
    """The monopoly-break events of the old model, in the order of their planned dates."""
    names = {m.group(1) for name in params for m in [re.match(r"old_model\.events\.(\w+)\.planned_date$", name)] if m}
    return sorted(names, key=lambda e: params.parameters[f"old_model.events.{e}.planned_date"].values[0])


def _per_wave(params: ParameterSet, event: str, name: str) -> np.ndarray:
    return np.array([params.value(f"old_model.events.{event}.{name}.{w}") for w in WAVES])


def planned_months(params: ParameterSet) -> np.ndarray:
    """Planned month of each event in each wave, as month numbers (months since 1970-01): (events, waves)."""
    return np.array(
        [
            np.datetime64(params.value(f"old_model.events.{e}.planned_date"), "M").astype(int)
            + _per_wave(params, e, "wave_offset")
            for e in event_names(params)
        ]
    ).astype(int)


def scenario_delays(params: ParameterSet) -> np.ndarray:
    """Each event's delay in each wave in this scenario, in months: the national delay plus the wave's own:
    (events, waves)."""
    return np.array(
        [params.value(f"old_model.events.{e}.delay") + _per_wave(params, e, "wave_delay") for e in event_names(params)]
    ).astype(int)


def effective_months(params: ParameterSet, delays: np.ndarray | None = None) -> np.ndarray:
    """Month number each event reaches each wave: planned + delay; the end of KMD Sag waits for all the wave's
    other events. `delays` (..., events, waves) may have leading dimensions (Monte Carlo draws); default: the
    scenario's delays."""
    delays = scenario_delays(params) if delays is None else np.asarray(delays)
    happen = planned_months(params) + delays
    end = event_names(params).index(END_EVENT)
    happen[..., end, :] = happen.max(axis=-2)
    return happen


def happened(effective: np.ndarray, months: np.ndarray) -> np.ndarray:
    """True where an event has reached a wave by the start of a month: (..., events, waves, months)."""
    return months.astype("datetime64[M]").astype(int) >= effective[..., None]


def staircase(params: ParameterSet, effective: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Share of the old model's full price a wave pays in each month: base share + weights of the events that
    have reached it: (..., waves, months)."""
    weights = np.array([params.value(f"old_model.events.{e}.weight") for e in event_names(params)])
    return params.value("old_model.base_share") + np.einsum("e,...ewt->...wt", weights, happened(effective, months))
