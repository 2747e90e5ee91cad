"""The payments a municipality makes for SAPA and what each one is: the one list every rule, table, chart and
export reads, in the order they are shown."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Component:
    """One payment: its code, its Danish name, its colour in every chart, and how it is billed."""

    name: str
    label: str
    colour: str
    follows_population: bool  # billed by inhabitants on 1 January (KMD Sag is a fixed starting payment)
    shared: bool  # billed alike whichever SAPA settlement model applies


COMPONENTS = (
    Component("sapa", "SAPA", "#4c78a8", follows_population=True, shared=False),
    Component("infrastructure", "Fælleskommunal infrastruktur", "#f58518", follows_population=True, shared=True),
    Component("buffet", "Buffetpris (drift af services)", "#54a24b", follows_population=True, shared=True),
    Component("kmd_sag", "KMD Sag", "#b279a2", follows_population=False, shared=True),
)
NAMES = tuple(c.name for c in COMPONENTS)
BY_NAME = {c.name: c for c in COMPONENTS}
LABEL = {c.name: c.label for c in COMPONENTS}
SHARED = tuple(c.name for c in COMPONENTS if c.shared)
FOLLOW_POPULATION = tuple(c.name for c in COMPONENTS if c.follows_population)
