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
# # Knækrabatten
#
# Set the parameters below (or with papermill `-p year 2024`) and run all.

# %% tags=["parameters"]
scenario = ""  # str: path to a scenario YAML file; empty means the shipped baseline
budget_year = None  # int | None: the year analysed, the budget year; None: the year after today

# %% tags=["remove_input"]
from IPython.display import Markdown, display

from sapa_model.analysis import compare, knee
from sapa_model.views import charts, fmt
from sapa_model.views import presentation as show
from sapa_model.views.labels import MUNICIPALITIES
from sapa_model.views.notebook import setup

ctx = setup(scenario=scenario, budget_year=budget_year)
params = ctx.params
day = f"{ctx.year}-01-01"
threshold, rate = ctx.knee()
summary = knee.knee_summary(ctx.scenario, ctx.table, ctx.year)  # amounts in whole kroner, sums of those shown
big, rest_population = summary["above"], summary["rest_population"]
show.heading(
    f"Knækrabatten i {ctx.year}",
    f"Den nye afregningsmodel giver knækrabat: for hver indbygger ud over {fmt.num(threshold)} betaler kommunen "
    f"{fmt.pct(rate, 0)} af SAPA-prisen{show.status_note(params, 'sapa.knee.rate')}. Kun indbyggerne over knækket "
    "får rabat, så prisen for en kommune stiger jævnt med indbyggertallet, blot langsommere over knækket. Den "
    "fælleskommunale infrastruktur har sit eget knæk. Her vises, hvem rabatten hjælper, og hvad den koster de "
    "øvrige kommuner, når SAPAs samlede pris ikke stiger.", ctx.scenario, ctx.table,
    figures=[(f"Kommuner over knækket ({fmt.num(threshold)})", str(len(big)), fmt.join(big["kommune"])),
             (f"Deres besparelse i {ctx.year}", fmt.kr(summary["saving"]), "SAPA, ny model"),
             (f"Merbetaling for de øvrige {summary['rest_count']}",
              fmt.kr_per_inhabitant(summary["rest_per_inhabitant"]), "pr. indbygger i gennemsnit")],
    answer=f"**{len(big)} kommuner** har over {fmt.num(threshold)} indbyggere: {fmt.join(big['kommune'])}. Knækket "
    f"sparer dem tilsammen **{fmt.kr(summary['saving'])}** i {ctx.year}. Fordi den samlede pris ikke stiger, "
    f"betaler de øvrige {summary['rest_count']} kommuner det samme beløb mere: i gennemsnit "
    f"**{fmt.kr_per_inhabitant(summary['rest_per_inhabitant'])} pr. indbygger**.")
display(show.scenario_box(ctx.scenario))

# %% [markdown]
# ## Effektiv pris pr. indbygger

# %% tags=["remove_input"]
curve, points = knee.effective_price_curve(ctx.table, ctx.year, ctx.scenario)
knees = {"SAPA": threshold}
if ctx.year >= ctx.infrastructure_from:
    knees["Infrastruktur"] = params.value("infrastructure.knee.threshold", day)
charts.effective_price(curve, points, f"Pris pr. indbygger efter kommunens størrelse, {ctx.year}",
                       "Linjediagram over prisen pr. indbygger mod indbyggertal for SAPA og infrastrukturen; "
                       f"punkterne er de {MUNICIPALITIES} kommuner, og den stiplede lodrette linje er knækket", knees)

# %% [markdown]
# ## Hvad knækket sparer de store kommuner, og hvad det koster de øvrige
#
# Sammenligningen er med en model uden knæk (alle indbyggere betaler fuld pris), hvor prisen også er
# udledt, så kommunerne tilsammen betaler det samme.

# %% tags=["remove_input"]
shown = big[["kommune", "with_knee", "without_knee", "effect", "effect_per_inhabitant"]].rename(columns={
    "kommune": "Kommune", "with_knee": "SAPA med knæk", "without_knee": "SAPA uden knæk", "effect": "Forskel",
    "effect_per_inhabitant": "Forskel pr. indbygger"})
display(show.table(shown, {"SAPA med knæk": fmt.kr, "SAPA uden knæk": fmt.kr, "Forskel": fmt.kr,
                           "Forskel pr. indbygger": fmt.kr_per_inhabitant},
                   caption=f"Kommunerne over knækket, SAPA i {ctx.year} (ny model), {ctx.kroner_caption}"))
show.key_figures(year=ctx.year, above_threshold=list(big["kommune"]), big_saving=summary["saving"],
                 rest_extra=summary["extra"], rest_per_inhabitant=summary["rest_per_inhabitant"],
                 shown_effects=[float(v) for v in big["effect"]])

# %% [markdown]
# ## Infrastrukturens knæk

# %% tags=["remove_input"]
if ctx.year >= ctx.infrastructure_from:
    infra = knee.infrastructure_knee_effect(ctx.table, ctx.year, ctx.scenario)
    saving = infra[compare.more(infra["saving"])]
    display(Markdown(
        f"Infrastrukturen koster {fmt.kr(params.value('infrastructure.price_per_inhabitant', day))} pr. indbygger med "
        f"{fmt.pct(params.value('infrastructure.knee.rate', day), 0)} for indbyggere ud over "
        f"{fmt.num(params.value('infrastructure.knee.threshold', day))}. Prisen er fast, så knækket fordeles ikke "
        f"om på de øvrige: det sparer {fmt.join(saving['kommune'])} i alt {fmt.kr(saving['saving'].sum())} i "
        f"{ctx.year}. Hvis KOMBIT skulle have det samme ind uden knæk, svarede det til "
        f"{fmt.kr_per_inhabitant(saving['saving'].sum() / rest_population)} pr. indbygger i de øvrige kommuner."))
    shown = saving.rename(columns={"kommune": "Kommune", "population": "Indbyggere", "with_knee": "Med knæk",
                                   "without_knee": "Uden knæk", "saving": "Besparelse"})
    display(show.table(shown[["Kommune", "Indbyggere", "Med knæk", "Uden knæk", "Besparelse"]],
                       {"Indbyggere": fmt.num, "Med knæk": fmt.kr, "Uden knæk": fmt.kr, "Besparelse": fmt.kr},
                       caption=f"Infrastrukturen i {ctx.year}, {ctx.kroner_caption}"))
else:
    display(Markdown(f"Infrastrukturen faktureres først særskilt fra {ctx.infrastructure_from}, så der er intet knæk "
                     f"i {ctx.year}."))

# %% [markdown] tags=["screen_only"]
# ## Prøv selv: flyt knækket
#
# Skyderne under diagrammet ændrer knækgrænsen og knæksatsen direkte i browseren. Prisen genberegnes
# for hver indstilling, så kommunerne tilsammen betaler det samme som i dette scenarie; punkterne viser
# hver kommunes ændring pr. indbygger i forhold til scenariet. Over nul betaler kommunen mere.

# %% tags=["remove_input", "screen_only"]
explorer_data, revenue = knee.knee_explorer_data(ctx.table, ctx.year, ctx.scenario)
charts.knee_explorer(explorer_data, revenue, threshold, rate, f"Knækket flyttet: ændring pr. indbygger, {ctx.year}",
                     "Punktdiagram med en kommune pr. punkt: indbyggertal mod ændring i SAPA-betaling pr. "
                     "indbygger, styret af to skydere for knækgrænse og knæksats")

# %% tags=["remove_input"]
display(show.provenance(ctx.scenario, ctx.table))
