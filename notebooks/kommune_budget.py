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
# # SAPA-budget for én kommune
#
# Set the municipality in the parameters cell below (or with papermill: `-p kommune Aarhus`) and run all.

# %% tags=["parameters"]
kommune = "Aarhus"  # str | int: the municipality, by name (any common spelling) or 3-digit code
scenario = ""  # str: path to a scenario YAML file; empty means the shipped baseline
first_year = None  # int | None: first year shown; None: SAPA's first billing year
last_year = None  # int | None: last year shown; None: the model's default horizon
year = 2021  # int: the year the summary at the top speaks of
invoice_year = 2019  # int: the year whose monthly invoices are shown

# %% tags=["remove_input"]
from IPython.display import Markdown, display

from sapa_model.views import analysis, charts, fmt
from sapa_model.views import presentation as show
from sapa_model.views.labels import APPROVED, COMPONENT, PROJECTION, WAVE, official_name
from sapa_model.views.notebook import setup

ctx = setup(kommune=kommune, scenario=scenario, first_year=first_year, last_year=last_year, year=year,
            invoice_year=invoice_year)
place = ctx.municipality
mine = ctx.table[ctx.table["kommunekode"] == place.code]
lines = analysis.budget_lines(ctx.table, place.code)
summary = lines.loc[ctx.year]
show.heading(f"{official_name(place.name)}: SAPA {ctx.years[0]}-{ctx.years[-1]}",
             "Kommunens betalinger til SAPA og de tilknyttede fælleskommunale betalinger, år for år, efter den gamle "
             f"afregningsmodel (trappemodellen) og den nye model, som SAPAs kommunestyregruppe godkendte {APPROVED}.",
             ctx.scenario, mine)

# %% tags=["remove_input"]
population_now = int(mine.loc[mine["year"] == ctx.year, "population"].iloc[0])
display(Markdown(
    f"**{official_name(place.name)} betaler i {ctx.year} {fmt.kr(summary[('new', 'sapa')])} for SAPA** efter den nye "
    f"model ({fmt.kr(summary[('old', 'sapa')])} efter den gamle), eller "
    f"{fmt.kr_per_inhabitant(summary[('new', 'sapa')] / population_now)} pr. indbygger. Dertil kommer "
    f"{fmt.kr(summary[('new', 'infrastructure')])} for den fælleskommunale infrastruktur, "
    f"{fmt.kr(summary[('new', 'buffet')])} i buffetpris og {fmt.kr(summary[('new', 'kmd_sag')])} til KMD Sag, "
    f"i alt {fmt.kr(summary[('new', 'total')])} ({fmt.kr(summary[('old', 'total')])} efter den gamle model).\n\n"
    f"Kommunen er i SAPAs bølgeplan med i **{WAVE[place.wave].lower()}** og faktureres fra "
    f"**{fmt.date(place.billing_start)}**. Indbyggertallet 1. januar {ctx.year} er {fmt.num(population_now)}."
))
display(show.scenario_box(ctx.scenario))
show.key_figures(kommune=place.name, kommunekode=place.code, year=ctx.year,
                 sapa_new=summary[("new", "sapa")], sapa_old=summary[("old", "sapa")],
                 total_new=summary[("new", "total")], total_old=summary[("old", "total")])

# %% tags=["remove_input"]
notes = []
if place.wave_inferred:
    notes.append(
        f"**Usikker bølgeplacering.** {place.name}s placering i bølgeplanen er udledt af rækkefølgen på KOMBITs "
        "slide, ikke aflæst direkte. " + analysis.inferred_wave_note(place, ctx.scenario))
projected = sorted(mine.loc[mine["population_projected"], "year"].unique())
if projected:
    notes.append(f"**Fremskrevet indbyggertal** for {projected[0]}-{projected[-1]}: Danmarks Statistiks tal slutter "
                 f"med {projected[0] - 1}; derefter: "
                 f"{PROJECTION[ctx.scenario.params.value('projection.method')]}.")
if notes:
    display(Markdown("## Forbehold for denne kommune\n\n" + "\n\n".join(notes)))

# %% [markdown]
# ## Budgetlinjer pr. år
#
# Begge modeller med alle komponenter, i kroner. Infrastrukturen, buffetprisen og KMD Sag betales ens
# under begge modeller; forskellen ligger i SAPA-linjen.

# %% tags=["remove_input"]
years_table = analysis.lines_table(lines)
display(show.table(years_table.rename_axis("År").reset_index(), {c: fmt.kr for c in years_table.columns},
                   caption=f"{official_name(place.name)}: budgetlinjer i kr."))

# %% tags=["remove_input"]
totals_by_year = analysis.totals(mine)
charts.model_lines(
    totals_by_year, "amount_dkk", f"{place.name}: samlede betalinger pr. år",
    f"Linjediagram over {place.name}s samlede betalinger pr. år efter gammel og ny model", "kr. pr. år",
    subtitle="SAPA, infrastruktur, buffetpris og KMD Sag tilsammen")

# %% tags=["remove_input"]
stacked = mine.assign(Komponent=mine["component"].map(COMPONENT))
charts.stacked_components(
    stacked, f"{place.name}: betalingerne fordelt på komponenter",
    f"Søjlediagram over {place.name}s betalinger pr. år fordelt på SAPA, infrastruktur, buffetpris og KMD Sag, "
    "et panel for hver model")

# %% [markdown]
# ## Månedlige fakturaer
#
# Fakturaerne måned for måned i det valgte år. SAPA faktureres fra kommunens faktureringsstart; under
# den nye model er månedsbeløbet fast i hele kalenderåret.

# %% tags=["remove_input"]
months = analysis.invoices(place.code, ctx.invoice_year, ctx.scenario)
display(show.table(months.reset_index(), {c: fmt.kr for c in months.columns},
                   caption=f"{place.name}: fakturaer i {ctx.invoice_year}, kr."))

# %% tags=["remove_input"]
monthly_rows = analysis.monthly_rows(place.code, ctx.invoice_year, ctx.scenario)
charts.monthly_bars(monthly_rows, f"{place.name}: fakturaer pr. måned i {ctx.invoice_year}",
                    f"Søjlediagram over {place.name}s månedlige fakturaer i {ctx.invoice_year} fordelt på komponenter, "
                    "et panel for hver model")

# %% [markdown]
# ## Knækrabatten

# %% tags=["remove_input"]
knee = analysis.knee_effect(ctx.scenario, [ctx.year]).set_index("kommunekode").loc[place.code]
threshold, rate = ctx.knee()
if knee["above_threshold"]:
    display(Markdown(
        f"{place.name} har flere end {fmt.num(threshold)} indbyggere, så de {fmt.num(population_now - threshold)} "
        f"indbyggere ud over knækket betaler {fmt.pct(rate, 0)} af SAPA-prisen. I {ctx.year} sparer knækket "
        f"kommunen **{fmt.kr(-knee['effect'])}** ({fmt.kr_per_inhabitant(-knee['effect_per_inhabitant'])} pr. "
        f"indbygger) i forhold til en model uden knæk med samme samlede betaling."))
else:
    display(Markdown(
        f"{place.name} har under {fmt.num(threshold)} indbyggere og får ikke selv knækrabat. Fordi SAPAs samlede "
        f"pris ikke stiger, betaler kommunen lidt mere pr. indbygger for de store kommuners rabat: "
        f"**{fmt.kr(knee['effect'])}** i {ctx.year} ({fmt.kr_per_inhabitant(knee['effect_per_inhabitant'])} pr. "
        "indbygger)."))

# %% [markdown]
# ## Indbyggertal 1. januar

# %% tags=["remove_input"]
people = mine.drop_duplicates("year")[["year", "population", "population_projected"]].rename(
    columns={"population_projected": "projected"})
charts.population_path(people, f"{place.name}: indbyggertal 1. januar",
                       f"Linjediagram over {place.name}s indbyggertal 1. januar; fremskrevne år er stiplede",
                       show.last_observed_year())

# %% tags=["remove_input"]
display(show.provenance(ctx.scenario))
