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
budget_year = None  # int | None: the budget year, shown with its three overslagsår; None: the year after today
unit = 1000  # int: the budget table's unit: 1 for kroner, 1000 for 1.000 kr.
prices = None  # int | None: state amounts in this year's price level (needs a price index); None: current prices
first_year = None  # int | None: first year of the history; None: SAPA's first billing year
last_year = None  # int | None: last year of the history; None: the horizon, at least the last overslagsår

# %% tags=["remove_input"]
from IPython.display import Markdown, display

from sapa_model.analysis import billing, compare, lines
from sapa_model.views import charts, fmt, prose, tables, terms
from sapa_model.views import presentation as show
from sapa_model.views.labels import COMPONENT
from sapa_model.views.notebook import setup

ctx = setup(scenario=scenario, region=region, budget_year=budget_year, unit=unit, prices=prices,
            first_year=first_year, last_year=last_year)
table = ctx.table[ctx.table["region"] == ctx.region] if ctx.region else ctx.table
area = f"Region {ctx.region}" if ctx.region else "hele landet"
caption = ctx.caption
guide = tables.guide_table(lines.budget_guide(table, ctx.budget_years, ctx.basis.unit))
total = guide.iloc[-1]
in_kroner = {y: total[str(y)] * ctx.basis.unit for y in ctx.budget_years}  # the table's rounded totals, in kr.
spread = compare.per_inhabitant_spread(table, ctx.year)
low, high = fmt.kr_per_inhabitant(spread["min"]), fmt.kr_per_inhabitant(spread["max"])
period = f"{ctx.budget_years[0]}-{ctx.budget_years[-1]}"
show.heading(
    f"Kommunernes udgifter til SAPA, {area}: budget {ctx.year} og overslagsår",
    "Hvad hver kommune betaler pr. år for SAPA og de tilknyttede betalinger (fælleskommunal infrastruktur, "
    "buffetpris og KMD Sag) efter den nye afregningsmodel, i budgetåret og overslagsårene og tilbage til "
    "SAPAs første år, med den gamle model til sammenligning.", ctx.scenario, table,
    figures=[(f"I alt i {ctx.year}, {len(guide) - 1} kommuner", fmt.mio_kr(in_kroner[ctx.year]), "ny model, alle betalinger"),
             (f"Budgetperioden {period}", fmt.mio_kr(sum(in_kroner.values())), terms.terms(ctx.basis, ctx.params)),
             (f"Pr. indbygger i {ctx.year}", low if low == high else f"{low} til {high}", "laveste til højeste")],
    answer=f"**I {ctx.year} betaler de {len(guide) - 1} kommuner i {area} i alt {fmt.mio_kr(in_kroner[ctx.year])}** "
    f"for SAPA, infrastruktur, buffetpris og KMD Sag efter den nye model, og {fmt.mio_kr(sum(in_kroner.values()))} "
    f"over budgetperioden {period} ({terms.terms(ctx.basis, ctx.params)}).")

# %% tags=["remove_input"]
carried = show.carried_forward(ctx.scenario, table)
display(show.table(guide.assign(Kommunekode=guide["Kommunekode"].map(show.code)),  # the total row: no code
                   {str(y): fmt.num for y in ctx.budget_years},
                   caption=f"Ny model, alle betalinger pr. kommune, {caption}"))
display(Markdown("\n\n".join([terms.rounding_note(ctx.basis.unit),
                                terms.price_basis_text(ctx.basis, ctx.params, carried)])))
last = compare.national(table)
last = last[last["year"] == ctx.year].groupby("model")["amount_dkk"].sum()
show.key_figures(area=area, municipalities=int(table["kommunekode"].nunique()), year=ctx.year,
                 total_new_budget_year=last["new"], total_old_budget_year=last["old"],
                 guide_total=total[str(ctx.year)], unit=ctx.basis.unit)

# %% [markdown]
# ## Betalingerne over årene, fordelt på komponenter

# %% tags=["remove_input"]
by_component = compare.national(table).assign(Komponent=lambda f: f["component"].map(COMPONENT))
display(charts.stacked_components(by_component, f"Betalinger pr. år, {area}",
                                  f"Søjlediagram over de samlede betalinger pr. år i {area}, fordelt på komponenter, "
                                  "et panel for hver model", axis_title=ctx.axis(), subtitle=ctx.terms))
display(show.scenario_box(ctx.scenario))

# %% [markdown]
# ## Hver kommunes betaling pr. år
#
# Den samlede betaling (alle komponenter) efter den nye model. Et lille diagram for hver region; hver
# linje er en kommune. Hule punkter er år, hvor indbyggertallet er fremskrevet.

# %% tags=["remove_input"]
per_inhabitant = compare.per_inhabitant(table)
new = per_inhabitant[per_inhabitant["model"] == "new"]
display(charts.municipal_lines(new, "Samlet betaling pr. kommune og år, ny model",
                               "Små linjediagrammer, et pr. region, med en linje pr. kommune for den samlede betaling "
                               "pr. år; hule punkter markerer fremskrevne indbyggertal"))
display(Markdown((f"Pr. indbygger betaler kommunerne i {ctx.year} mellem {low} og {high} efter den nye model. "
                  if low != high else f"Pr. indbygger betaler alle kommunerne {low} i {ctx.year} efter den nye "
                  "model. ") + prose.spread_explanation(table, ctx.year, ctx.scenario)))

# %% [markdown]
# ## Befolkningsudviklingens betydning
#
# SAPA, infrastrukturen og buffetprisen følger indbyggertallet 1. januar; KMD Sag gør ikke og er ikke
# med her.

# %% tags=["remove_input"]
growth = compare.population_effect(table, billing.first_full_year(ctx.scenario), ctx.years[-1])
columns = {"kommune": "Kommune", "population_from": f"Indbyggere {growth.attrs['from']}",
           "population_to": f"Indbyggere {growth.attrs['to']}", "growth": "Vækst",
           "bill_from": f"Betaling {growth.attrs['from']}", "bill_to": f"Betaling {growth.attrs['to']}"}
shown = growth.head(10)[list(columns)].rename(columns=columns)
display(Markdown(
    f"Fra {growth.attrs['from']}, det første år hvor alle kommuner betaler SAPA og infrastruktur hele året, til "
    f"{growth.attrs['to']} vokser indbyggertallet mest i {growth.iloc[0]['kommune']} "
    f"({fmt.pct(growth.iloc[0]['growth'])}). Indbyggertal efter {show.last_observed_year()} er fremskrevet "
    f"({prose.projection(ctx.params)})."))
formats = dict(zip(shown.columns[1:], [fmt.num, fmt.num, fmt.pct, fmt.kr, fmt.kr]))
display(show.table(shown, formats, caption="De ti kommuner med størst befolkningsvækst (betaling: ny model, SAPA, "
                                           f"infrastruktur og buffetpris; {ctx.kroner_caption})"))

# %% [markdown]
# ## Alle kommuner i budgetåret

# %% tags=["remove_input"]
final = per_inhabitant[per_inhabitant["year"] == ctx.year].pivot_table(
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
                   caption=f"Betalinger i {ctx.year}, alle komponenter ({ctx.kroner_caption})"))

# %% tags=["remove_input"]
display(show.provenance(ctx.scenario, table))
