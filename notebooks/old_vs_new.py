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
# # Gammel model mod ny model (national)
#
# Set the parameters below (or with papermill `-p scenario scenarios/x.yaml`) and run all.

# %% tags=["parameters"]
scenario = ""  # str: path to a scenario YAML file; empty means the shipped baseline
budget_year = None  # int | None: the budget year, shown with its three overslagsår; None: the year after today
first_year = None  # int | None: first year compared; None: SAPA's first billing year
last_year = None  # int | None: last year compared; None: the model's default horizon
draws = 10000  # int: number of Monte Carlo draws of the monopoly-break delays

# %% tags=["remove_input"]
from IPython.display import Markdown, display

from sapa_model.views import analysis, charts, fmt
from sapa_model.views import presentation as show
from sapa_model.views.labels import APPROVED, COMPONENT
from sapa_model.engine import simulate
from sapa_model.views.notebook import setup

ctx = setup(scenario=scenario, budget_year=budget_year, first_year=first_year, last_year=last_year, draws=draws)
table = ctx.table
threshold, rate = ctx.knee()
show.heading(f"Gammel og ny afregningsmodel for SAPA, {ctx.years[0]}-{ctx.years[-1]}",
             "Hvad de 98 kommuner betaler for SAPA efter den gamle afregningsmodel (trappemodellen, koblet til "
             f"udfasningen af KMD Sag) og efter den nye model, som SAPAs kommunestyregruppe godkendte {APPROVED}: "
             "en fast pris pr. kalenderår pr. indbygger 1. januar, med knækrabat for indbyggere ud over "
             f"{fmt.num(threshold)} (de betaler {fmt.pct(rate, 0)}{show.status_note(ctx.params, 'sapa.knee.rate')} af "
             "prisen).", ctx.scenario, table)
display(show.scenario_box(ctx.scenario))

# %% [markdown]
# ## Stiger prisen samlet set?
#
# Den nye models pris er i basis udledt, så kommunerne tilsammen betaler det samme for SAPA hvert år
# som efter den gamle model på den planlagte tidsplan. Tabellen viser, om det holder i dette scenarie.

# %% tags=["remove_input"]
check = analysis.total_check(table)
largest = check["difference"].abs().max()
if largest < 1:
    verdict = (f"**Nej.** I alle år {ctx.years[0]}-{ctx.years[-1]} betaler kommunerne tilsammen det samme for SAPA "
               f"efter begge modeller (største forskel {fmt.kr(largest, 2)}).")
else:
    worst = check["difference"].abs().idxmax()
    verdict = (f"**Forskellen er op til {fmt.kr(check.loc[worst, 'difference'])}** (i {worst}): i dette scenarie "
               "betaler kommunerne tilsammen ikke det samme efter de to modeller, fordi "
               + ("SAPA-priserne er givet direkte." if ctx.scenario.params.value("sapa.price.method") == "given"
                  else "forsinkelser flytter den gamle models regninger, mens den nye models priser ligger fast."))
display(Markdown(verdict))
shown = check.rename(columns={"old": "SAPA, gammel model", "new": "SAPA, ny model", "difference": "Forskel (ny - gammel)"})
display(show.table(shown.rename_axis("År").reset_index(), {c: fmt.kr for c in shown.columns},
                   caption="SAPA i alt for de 98 kommuner, kr."))
show.key_figures(sapa_old_total=check["old"].sum(), sapa_new_total=check["new"].sum(),
                 largest_difference=largest, first_year=ctx.years[0], last_year=ctx.years[-1])

# %% [markdown]
# ## Alle betalinger pr. år
#
# SAPA sammen med de betalinger, der følger af monopolbruddet: den fælleskommunale infrastruktur
# (faktureret særskilt fra 2020), buffetprisen for drift af services og KMD Sag, som udfases.

# %% tags=["remove_input"]
national = analysis.national(table).assign(Komponent=lambda f: f["component"].map(COMPONENT))
charts.model_lines(national, "amount_dkk", "Betalinger pr. år for alle 98 kommuner",
                   "Fire små linjediagrammer, et for hver betaling, med gammel og ny model pr. år",
                   "kr. pr. år", facet="Komponent")

# %% [markdown]
# ## Hvem betaler mere, og hvem betaler mindre?
#
# Forskellen på SAPA-regningen mellem ny og gammel model for hver kommune, summeret over årene og
# omregnet til kroner pr. indbygger pr. år. Den nye models knækrabat flytter betaling fra de fire store
# kommuner til de øvrige; den gamle model havde ingen knæk.

# %% tags=["remove_input"]
difference = analysis.municipal_difference(table)
more = difference[analysis.more(difference["difference"])]
less = difference[analysis.less(difference["difference"])]
display(Markdown(
    f"**{len(more)} kommuner betaler mere** for SAPA efter den nye model, i alt {fmt.kr(more['difference'].sum())} "
    f"over {ctx.years[0]}-{ctx.years[-1]}; **{len(less)} betaler mindre**, i alt "
    f"{fmt.kr(-less['difference'].sum())}. Størst stigning pr. indbygger: {difference.iloc[0]['kommune']} "
    f"({fmt.kr_per_inhabitant(difference.iloc[0]['difference_per_inhabitant'])} pr. indbygger pr. år). Størst "
    f"besparelse: {difference.iloc[-1]['kommune']} "
    f"({fmt.kr_per_inhabitant(-difference.iloc[-1]['difference_per_inhabitant'])} pr. indbygger pr. år)."))
show.key_figures(pays_more=len(more), pays_less=len(less), largest_saving=difference.iloc[-1]["kommune"])

# %% tags=["remove_input"]
charts.diverging_bars(
    difference, "difference_per_inhabitant", "kommune", "Forskel pr. indbygger pr. år, ny minus gammel model",
    "Vandret søjlediagram med en søjle pr. kommune: til højre betaler kommunen mere efter den nye model, til venstre "
    "mindre", "kr. pr. indbygger pr. år",
    tooltip_extra=[charts.alt.Tooltip("difference:Q", title="Forskel i alt", format=fmt.d3("kr"))])

# %% tags=["remove_input"]
regions = analysis.regional_difference(difference, table)
shown = regions.rename(columns={
    "region": "Region", "old": "SAPA, gammel model", "new": "SAPA, ny model", "difference": "Forskel",
    "difference_per_inhabitant": "Forskel pr. indbygger pr. år", "pays_more": "Kommuner der betaler mere",
    "pays_less": "Kommuner der betaler mindre"})
display(show.table(shown, {"SAPA, gammel model": fmt.kr, "SAPA, ny model": fmt.kr, "Forskel": fmt.kr,
                           "Forskel pr. indbygger pr. år": fmt.kr_per_inhabitant},
                   caption=f"SAPA pr. region, {ctx.years[0]}-{ctx.years[-1]}"))

# %% [markdown]
# ## Forudsigelighed: hvad forsinkelser gjorde ved den gamle model
#
# Under den gamle model afhang hver kommunes regning af, hvornår KSD, KY og Udbetaling Danmark kom på
# plads, og hvornår KMD Sag kunne slukkes. Her trækkes forsinkelserne tilfældigt mange gange (fordelinger
# i parametrene `old_model.events.*.delay_*`). Bjælken viser, hvor regningen lå i 90 % af udfaldene; den
# nye models regning er fast og kendt på forhånd.

# %% tags=["remove_input"]
simulation = simulate(ctx.scenario, ctx.years, draws=ctx.draws)
risk = analysis.risk(simulation)
top = risk.head(15)
display(Markdown(
    f"Med {fmt.num(ctx.draws)} simulerede forløb var **{top.iloc[0]['kommune']}s** regning mest usikker: i "
    f"{int(top.iloc[0]['year'])} lå den gamle models SAPA-regning mellem {fmt.kr(top.iloc[0]['old_p05_dkk'])} og "
    f"{fmt.kr(top.iloc[0]['old_p95_dkk'])} (5-95 %), mens den nye model fast giver {fmt.kr(top.iloc[0]['new_dkk'])}. "
    f"Fordi begivenhederne i monopolbruddet er fælles for alle kommuner, er usikkerheden nogenlunde den samme "
    f"i forhold til regningens størrelse: for halvdelen af kommunerne mindst {fmt.pct(risk['spread_share'].median())} "
    "af den nye models regning i det mest usikre år. Forsinkelsernes fordelinger er illustrative."))
charts.spread_chart(top, "De 15 kommuner med størst budgetusikkerhed under den gamle model",
                    "Diagram med en linje pr. kommune: bjælken er spændet i den gamle models SAPA-regning over de "
                    "simulerede forsinkelser, stregen medianen og ruden den nye models faste regning")

# %% tags=["remove_input"]
shown = top.head(10)[["kommune", "year", "old_p05_dkk", "old_p50_dkk", "old_p95_dkk", "new_dkk", "spread_share"]]
shown = shown.rename(columns={"kommune": "Kommune", "year": "År", "old_p05_dkk": "Gammel, 5 %",
                              "old_p50_dkk": "Gammel, median", "old_p95_dkk": "Gammel, 95 %",
                              "new_dkk": "Ny model (fast)", "spread_share": "Spænd i % af ny regning"})
display(show.table(shown, {**{c: fmt.kr for c in shown.columns[2:6]}, "Spænd i % af ny regning": fmt.pct,
                           "År": str}, caption="Størst budgetrisiko: SAPA-regningen i det mest usikre år"))
show.key_figures(draws=ctx.draws, riskiest=top.iloc[0]["kommune"], riskiest_spread=top.iloc[0]["spread_dkk"])

# %% tags=["remove_input"]
display(show.provenance(ctx.scenario))
