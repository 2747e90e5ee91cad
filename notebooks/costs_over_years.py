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

# %% [markdown] tags=["remove_cell"]
# # Kommunernes udgifter over årene (hele landet eller én region)
#
# Set the parameters below (or with papermill `-p region Sjælland`) and run all.

# %% tags=["parameters"]
scenario = ""  # str: path to a scenario YAML file; empty means the shipped baseline
region = ""  # str: Hovedstaden, Sjælland, Syddanmark, Midtjylland or Nordjylland; empty means all of Denmark
first_year = None  # int | None: first year shown; None: SAPA's first billing year
last_year = None  # int | None: last year shown; None: the model's default horizon

# %% tags=["remove_input"]
from IPython.display import Markdown, display

from sapa_model.views import analysis, charts, fmt
from sapa_model.views import presentation as show
from sapa_model.views.labels import COMPONENT, PROJECTION
from sapa_model.views.notebook import setup

ctx = setup(scenario=scenario, region=region, first_year=first_year, last_year=last_year)
table = ctx.table[ctx.table["region"] == ctx.region] if ctx.region else ctx.table
area = f"Region {ctx.region}" if ctx.region else "hele landet"
show.heading(f"Kommunernes udgifter {ctx.years[0]}-{ctx.years[-1]}, {area}",
             "Hvad hver kommune betaler pr. år for SAPA og de tilknyttede betalinger (fælleskommunal infrastruktur, "
             "buffetpris og KMD Sag), i alt og pr. indbygger, efter den gamle og den nye afregningsmodel.",
             ctx.scenario, table)
display(show.scenario_box(ctx.scenario))

# %% [markdown]
# ## Betalingerne fordelt på komponenter

# %% tags=["remove_input"]
by_component = analysis.national(table).assign(Komponent=lambda f: f["component"].map(COMPONENT))
last = by_component[by_component["year"] == ctx.years[-1]].groupby("model")["amount_dkk"].sum()
display(Markdown(
    f"I {ctx.years[-1]} betaler kommunerne i {area} i alt {fmt.kr(last['new'])} efter den nye model og "
    f"{fmt.kr(last['old'])} efter den gamle, for {table['kommunekode'].nunique()} kommuner."))
display(charts.stacked_components(by_component, f"Betalinger pr. år, {area}",
                                  f"Søjlediagram over de samlede betalinger pr. år i {area}, fordelt på komponenter, "
                                  "et panel for hver model"))
show.key_figures(area=area, municipalities=int(table["kommunekode"].nunique()), last_year=ctx.years[-1],
                 total_new_last_year=last["new"], total_old_last_year=last["old"])

# %% [markdown]
# ## Hver kommunes betaling pr. år
#
# Den samlede betaling (alle komponenter) efter den nye model. Et lille diagram for hver region; hver
# linje er en kommune. Hule punkter er år, hvor indbyggertallet er fremskrevet.

# %% tags=["remove_input"]
per_inhabitant = analysis.per_inhabitant(table)
new = per_inhabitant[per_inhabitant["model"] == "new"]
display(charts.municipal_lines(new, "Samlet betaling pr. kommune og år, ny model",
                               "Små linjediagrammer, et pr. region, med en linje pr. kommune for den samlede betaling "
                               "pr. år; hule punkter markerer fremskrevne indbyggertal"))
spread = analysis.per_inhabitant_spread(table, ctx.years[-1])
display(Markdown(
    f"Pr. indbygger er betalingen i {ctx.years[-1]} næsten ens: mellem {fmt.kr_per_inhabitant(spread['min'])} og "
    f"{fmt.kr_per_inhabitant(spread['max'])} efter den nye model. Alle kommuner under knækket betaler samme pris pr. "
    "indbygger for SAPA, infrastruktur og buffet; forskellene kommer fra knækket for de største kommuner, "
    "faktureringsstarten i 2019 og KMD Sag, hvis udgangspunkt er indbyggertallet i 2013."))

# %% [markdown]
# ## Befolkningsudviklingens betydning

# %% tags=["remove_input"]
growth = analysis.population_effect(table, ctx.years[0] + 1 if ctx.years[0] < 2020 else ctx.years[0], ctx.years[-1])
columns = {"kommune": "Kommune", "population_from": f"Indbyggere {growth.attrs['from']}",
           "population_to": f"Indbyggere {growth.attrs['to']}", "growth": "Vækst",
           "bill_from": f"Betaling {growth.attrs['from']}", "bill_to": f"Betaling {growth.attrs['to']}"}
shown = growth.head(10)[list(columns)].rename(columns=columns)
display(Markdown(
    f"Betalingerne følger indbyggertallet 1. januar. Fra {growth.attrs['from']} til {growth.attrs['to']} vokser "
    f"indbyggertallet mest i {growth.iloc[0]['kommune']} ({fmt.pct(growth.iloc[0]['growth'])}). "
    f"Indbyggertal efter {show.last_observed_year()} er fremskrevet "
    f"({PROJECTION[ctx.scenario.params.value('projection.method')]})."))
formats = dict(zip(shown.columns[1:], [fmt.num, fmt.num, fmt.pct, fmt.kr, fmt.kr]))
display(show.table(shown, formats,
                   caption="De ti kommuner med størst befolkningsvækst (betaling: ny model, alle komponenter)"))

# %% [markdown]
# ## Alle kommuner i det sidste år

# %% tags=["remove_input"]
final = per_inhabitant[per_inhabitant["year"] == ctx.years[-1]].pivot_table(
    index=["kommune", "region"], columns="model", values=["amount_dkk", "per_inhabitant"], observed=True)
final.columns = [f"{a}_{m}" for a, m in final.columns]
final = final.reset_index().sort_values("per_inhabitant_new", ascending=False)
shown = final.rename(columns={"kommune": "Kommune", "region": "Region", "amount_dkk_new": "I alt, ny model",
                              "amount_dkk_old": "I alt, gammel model", "per_inhabitant_new": "Pr. indbygger, ny",
                              "per_inhabitant_old": "Pr. indbygger, gammel"})
display(show.table(shown[["Kommune", "Region", "I alt, ny model", "I alt, gammel model", "Pr. indbygger, ny",
                          "Pr. indbygger, gammel"]],
                   {"I alt, ny model": fmt.kr, "I alt, gammel model": fmt.kr, "Pr. indbygger, ny": fmt.kr_per_inhabitant,
                    "Pr. indbygger, gammel": fmt.kr_per_inhabitant},
                   caption=f"Betalinger i {ctx.years[-1]}, alle komponenter"))

# %% tags=["remove_input"]
display(show.provenance(ctx.scenario))
