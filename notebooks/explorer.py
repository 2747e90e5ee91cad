# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Scenarieudforsker
#
# Flyt knækket, priserne og forsinkelserne i monopolbruddet, og se med det samme, hvad alle 98 kommuner
# betaler efter den gamle og den nye afregningsmodel. Hver ændring genberegner alle kommuner.
# Gem scenariet under "Gem eller indlæs scenarie" og byg rapporterne med det:
# `sapa reports --scenario scenarios/mit_scenarie.yaml`.
#
# Tallene bygger på illustrative pladsholdere, ikke KOMBITs rigtige priser (se rapporternes banner).
# Uden en kørende kerne (fx eksporteret til HTML) vises basisscenariets tal i stedet for knapperne.

# %% tags=["parameters"]
scenario = ""  # str: scenario YAML file to start from; empty means the shipped baseline

# %% tags=["remove_input"]
import os

from sapa_model.app.explorer import Explorer

# Served by `sapa explore`, the page's address may carry settings (a link made with "Link til dette scenarie").
explorer = Explorer(scenario or None, link=os.environ.get("QUERY_STRING", ""))
explorer
