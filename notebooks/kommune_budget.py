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
budget_year = None  # int | None: the budget year, shown with its three overslagsår; None: the year after today
unit = 1  # int: the budget tables' unit: 1 for kroner, 1000 for 1.000 kr.
prices = None  # int | None: state amounts in this year's price level (needs a price index); None: current prices
first_year = None  # int | None: first year of the history; None: SAPA's first billing year
last_year = None  # int | None: last year of the history; None: the horizon, at least the last overslagsår
draws = None  # int | None: Monte Carlo draws (budget years' uncertainty, delays); None: the scenario's

# %% tags=["remove_input"]
import pandas as pd
from IPython.display import Markdown, display

from sapa_model.analysis import compare, knee, lines, risk
from sapa_model.analysis.budget import express, round_to
from sapa_model.analysis.outlook import outlook_table
from sapa_model.engine import STATS, billing_starts
from sapa_model.views import charts, fmt, prose, tables, terms
from sapa_model.views import presentation as show
from sapa_model.views.labels import APPROVED, COMPONENT, QUANTILE, WAVE, official_name
from sapa_model.views.notebook import setup

ctx = setup(kommune=kommune, scenario=scenario, budget_year=budget_year, unit=unit, prices=prices,
            first_year=first_year, last_year=last_year, draws=draws)
place = ctx.municipality
name, whose = official_name(place.name), fmt.genitive(place.name)
mine = ctx.table[ctx.table["kommunekode"] == place.code]
wide = lines.budget_lines(ctx.table, place.code)
in_kroner = lines.lines(wide)  # each line rounded to whole kroner; totals are their sums
caption = ctx.caption
top = lines.headline(ctx.table, place.code, ctx.year)  # the budget year's lines as the budget table shows them
threshold, rate = ctx.knee()
people = f"{fmt.num(top['population'])} indbyggere 1. januar{' (fremskrevet)' if top['projected'] else ''}"
show.heading(
    f"{name}: SAPA i budget {ctx.year} og overslagsårene {ctx.budget_years[1]}-{ctx.budget_years[-1]}",
    "Kommunens betalinger til SAPA og de tilknyttede fælleskommunale betalinger efter den nye afregningsmodel, "
    f"som SAPAs kommunestyregruppe godkendte {APPROVED}, og til sammenligning efter den gamle (trappemodellen), i "
    f"{ctx.terms}.",
    ctx.scenario, mine,
    figures=[(f"I alt i {ctx.year}, ny model", fmt.kr(top["total_new"]), "SAPA, infrastruktur, buffetpris, KMD Sag"),
             ("Pr. indbygger", fmt.kr_per_inhabitant(top["per_inhabitant"]), people),
             ("Ny minus gammel model", fmt.signed_kr(top["difference"]),
              f"gammel model: {fmt.kr(top['total_old'])}")],
    answer=f"**I {ctx.year} betaler {name} {fmt.kr(top['sapa_new'])} for SAPA** efter den nye model, "
    f"{fmt.kr_per_inhabitant(top['sapa_new'] / top['population'])} pr. indbygger"
    + (f" i gennemsnit (indbyggerne ud over {fmt.num(threshold)} koster {fmt.pct(rate, 0)} af prisen: knækrabatten)"
       if top["population"] > threshold else "") + ". Med "
    f"{fmt.kr(top['infrastructure'])} for den fælleskommunale infrastruktur, {fmt.kr(top['buffet'])} i buffetpris og "
    f"{fmt.kr(top['kmd_sag'])} til KMD Sag er det **i alt {fmt.kr(top['total_new'])}**; efter den gamle model "
    f"ville kommunen have betalt {fmt.kr(top['total_old'])} i alt på den planlagte tidsplan for monopolbruddet.")
show.key_figures(kommune=place.name, kommunekode=place.code, year=ctx.year,
                 sapa_new=wide.loc[ctx.year, ("new", "sapa")], sapa_old=wide.loc[ctx.year, ("old", "sapa")],
                 total_new=wide.loc[ctx.year, ("new", "total")], total_old=wide.loc[ctx.year, ("old", "total")],
                 shown_total_new=top["total_new"], shown_difference=top["difference"])

# %% [markdown]
# ## Budgetåret og overslagsårene

# %% tags=["remove_input"]
carried = show.carried_forward(ctx.scenario, mine)
display(show.budget_table(tables.lines_table(wide.loc[ctx.budget_years], ctx.basis.unit),
                          f"{name}: budget {ctx.year} og overslagsår, {caption}", [],
                          details=[terms.rounding_note(ctx.basis.unit),
                                   terms.price_basis_text(ctx.basis, ctx.params, carried)]))
show.key_figures(budget_table_unit=ctx.basis.unit, budget_years=ctx.budget_years)

# %% [markdown]
# ## Hvor sikkert er budgettet?
#
# Budgettallene bygger på et fremskrevet indbyggertal og på priser, der ikke alle er kendt endnu. Begge er her
# trukket mange gange; skyggen viser, hvor kommunens samlede betaling lander i 90 % af forløbene.

# %% tags=["remove_input"]
ahead = express(outlook_table(ctx.scenario, ctx.year, ctx.draws), ctx.basis, ctx.params, ("central", *STATS))
total = ahead[(ahead["kommunekode"] == place.code) & (ahead["component"] == "total")].set_index("year")
total["central"] = in_kroner.loc[total.index, "total_new"]  # the budget table's own total, to the krone
display(Markdown(prose.outlook_sentence(name, total, ctx.year)))
display(show.folded_text("Hvad usikkerheden bygger på", prose.outlook_sources(ahead, ctx.params)))

# %% tags=["remove_input", "repeats_table"]
display(charts.outlook_band(total.reset_index(), f"{place.name}: budgetårene og deres usikkerhed",
                            f"Diagram over {whose} samlede betaling i budgetåret og overslagsårene: linjen er det "
                            "budgetterede beløb, skyggen hvor betalingen lander i 90 % af forløbene",
                            f"kr. pr. år ({ctx.terms})"))

# %% tags=["remove_input"]
shown = round_to(total[["central", "p05", "p95"]].rename(columns={"central": "Budgetteret", **QUANTILE}), 1)
display(show.budget_table(shown, f"{name}: hele betalingen i budgetårene, {ctx.kroner_caption}",
                          [f"Ny model. {QUANTILE['p05']} og {QUANTILE['p95']} er grænserne for de midterste 90 % af "
                           f"{fmt.num(ahead.attrs['draws'])} forløb."]))
show.key_figures(outlook_central=total["central"].tolist(), outlook_p05=total["p05"].tolist(),
                 outlook_p95=total["p95"].tolist())

# %% [markdown]
# ## Fakturaerne i budgetåret
#
# SAPA faktureres månedligt; under den nye model er månedsbeløbet fast i hele kalenderåret.

# %% tags=["remove_input"]
months = tables.invoices(place.code, ctx.year, ctx.scenario, ctx.basis, fold=True)
display(show.budget_table(months, f"{place.name}: fakturaer pr. måned i {ctx.year}, {ctx.kroner_caption}",
                          [], index="Måned", details_summary="Beløbene er for hver af rækkens måneder",
                          details=["Måneder med samme beløb står i én række; beløbene er for hver af dem. "
                                   + terms.rounding_note(1) + " Månederne kan derfor tilsammen afvige med få kroner "
                                   "fra årets beløb i tabellen ovenfor."]))

# %% tags=["remove_input", "repeats_table"]
monthly_rows = tables.monthly_rows(place.code, ctx.year, ctx.scenario, ctx.basis)
charts.monthly_bars(monthly_rows, f"{place.name}: fakturaer pr. måned i {ctx.year}",
                    f"Søjlediagram over {whose} månedlige fakturaer i {ctx.year} fordelt på komponenter, "
                    "et panel for hver model", ctx.kroner_caption)

# %% tags=["remove_input"]
wave = "pilotbølgen" if place.wave == "pilot" else WAVE[place.wave].lower()
display(Markdown(f"## Forbehold for denne kommune\n\n{name} kom på SAPA i **{wave}** i bølgeplanen og faktureres "
                 f"for SAPA fra **{fmt.date(billing_starts(ctx.scenario)[place.code])}**."))
if place.wave_inferred:  # the longer notes: one line each on a phone, to unfold
    display(show.folded_text("Usikker bølgeplacering", [
        f"**Usikker bølgeplacering.** {whose} placering i bølgeplanen er udledt af rækkefølgen på KOMBITs "
        "slide, ikke aflæst direkte. " + prose.inferred_wave_note(place, ctx.scenario)], phone_only=True))
projected = sorted(mine.loc[mine["population_projected"], "year"].unique())
if projected:
    display(show.folded_text("Fremskrevet indbyggertal", [
        f"**Fremskrevet indbyggertal** for {projected[0]}-{projected[-1]}: Danmarks Statistiks tal slutter "
        f"med {projected[0] - 1}; derefter: {prose.projection(ctx.params)}."], phone_only=True))
display(show.scenario_box(ctx.scenario))

# %% [markdown]
# ## Alle år: den nye og den gamle model
#
# Infrastrukturen, buffetprisen og KMD Sag betales ens under begge modeller; forskellen ligger i
# SAPA-linjen.

# %% tags=["remove_input"]
display(show.budget_table(tables.lines_table(wide, ctx.basis.unit),
                          f"{name}: budgetlinjer {ctx.years[0]}-{ctx.years[-1]}, {caption}",
                          [terms.rounding_note(ctx.basis.unit)], fold=f"Tabel: alle år {ctx.years[0]}-{ctx.years[-1]}"))

# %% tags=["remove_input"]
totals_by_year = compare.totals(mine)
charts.model_lines(
    totals_by_year, "amount_dkk", f"{place.name}: samlede betalinger pr. år",
    f"Linjediagram over {whose} samlede betalinger pr. år efter ny og gammel model", ctx.axis(),
    subtitle=f"SAPA, infrastruktur, buffetpris og KMD Sag tilsammen; {ctx.terms}")

# %% tags=["remove_input", "repeats_table"]
stacked = mine.assign(Komponent=mine["component"].map(COMPONENT))
charts.stacked_components(
    stacked, f"{place.name}: betalingerne fordelt på komponenter",
    f"Søjlediagram over {whose} betalinger pr. år fordelt på SAPA, infrastruktur, buffetpris og KMD Sag, "
    "et panel for hver model", axis_title=ctx.axis(), subtitle=ctx.terms)

# %% [markdown]
# ## Historik: monopolbruddets forsinkelser

# %% tags=["remove_input"]
display(show.folded_text("Hvad forsinkelserne flyttede", [
    "Under den gamle model afhang SAPA-regningen af, hvornår KSD, KY og Udbetaling Danmark nåede kommunens bølge, "
    "og KMD Sag af, hvornår den kunne slukkes. Under begge modeller flytter forsinkelser KMD Sag. Her er "
    "forsinkelserne trukket mange gange; skyggen viser, hvor hele regningen lå i 90 % af forløbene. Det er "
    "historie: forsinkelserne i monopolbruddet flytter ikke budgetårenes regning (se usikkerheden ovenfor)."],
    phone_only=True))

# %% tags=["remove_input"]
history = express(risk.risk_table(ctx.scenario, ctx.years, ctx.draws), ctx.basis, ctx.params, ("timeline", *STATS))
band = risk.as_budgeted(risk.municipal_band(history, place.code), in_kroner)  # the planned bills: the table's lines
wide_band = band.pivot(index="year", columns="model")
spread = {m: wide_band[("p95", m)] - wide_band[("p05", m)] for m in ("old", "new")}
uncertain = wide_band.index[compare.more(spread["old"]) | compare.more(spread["new"])]  # years the delays move
in_band = wide_band.loc[uncertain] if len(uncertain) else wide_band.iloc[:1]
worst = spread["old"].idxmax()
diff = wide_band.loc[worst]
display(Markdown(
    f"Den gamle models regning var mest usikker i {worst}: mellem {fmt.kr(diff[('p05', 'old')])} og "
    f"{fmt.kr(diff[('p95', 'old')])}, forventet {fmt.kr(diff[('mean', 'old')])} (på den planlagte tidsplan "
    f"{fmt.kr(diff[('timeline', 'old')])}). Den nye models regning lå samme år mellem "
    f"{fmt.kr(diff[('p05', 'new')])} og {fmt.kr(diff[('p95', 'new')])}: SAPA er fast, men KMD Sag flytter sig "
    f"stadig. Mod den forventede gamle regning er forskellen (ny minus gammel) "
    f"{fmt.signed_kr(diff[('mean', 'difference')])}, ikke {fmt.signed_kr(diff[('timeline', 'difference')])} som "
    "mod den planlagte tidsplan. Forsinkelsernes fordelinger er antagelser (se rammen øverst)."))

# %% tags=["remove_input", "repeats_table"]
display(charts.risk_band(band, f"{place.name}: hele regningen under forsinkelser",
                 f"Diagram over {whose} samlede betaling pr. år efter gammel og ny model: skyggen er 5-95 % af de "
                 "simulerede forsinkelser, linjen den forventede regning og den prikkede linje den planlagte tidsplan",
                 ctx.axis(), ctx.terms))

# %% tags=["remove_input"]
shown = pd.DataFrame({
    "Ny model, forventet": in_band[("mean", "new")], "Ny, 5 %": in_band[("p05", "new")],
    "Ny, 95 %": in_band[("p95", "new")], "Gammel model, forventet": in_band[("mean", "old")],
    "Gammel, 5 %": in_band[("p05", "old")], "Gammel, 95 %": in_band[("p95", "old")],
    "Gammel, planlagt": in_band[("timeline", "old")], "Forskel mod forventet": in_band[("mean", "difference")]})
display(show.budget_table(round_to(shown, 1), f"{place.name}: hele regningen under forsinkelser, {ctx.kroner_caption}",
                          ["Forventet er gennemsnittet over de simulerede forløb; 5 % og 95 % er grænserne for "
                           "de midterste 90 %. Forskellen er ny minus gammel model, gennemsnit over forløbene.",
                           *([f"Fra {in_band.index[-1] + 1} er hele regningen den samme i alle forløb under begge "
                              "modeller, så tabellen viser kun årene før."] if in_band.index[-1] < ctx.years[-1]
                             else [])], fold="Tabel: hele regningen under forsinkelser"))
show.key_figures(risk_worst_year=int(worst), risk_old_p05=diff[("p05", "old")], risk_old_p95=diff[("p95", "old")],
                 risk_difference_expected=diff[("mean", "difference")], risk_years=[int(y) for y in in_band.index])

# %% [markdown]
# ## Knækrabatten

# %% tags=["remove_input"]
effect = knee.knee_effect(ctx.scenario, [ctx.year]).set_index("kommunekode").loc[place.code]
rate_status = show.status_note(ctx.params, "sapa.knee.rate")
if effect["above_threshold"]:
    text = (f"{place.name} har flere end {fmt.num(threshold)} indbyggere, så de {fmt.num(top['population'] - threshold)} "
            f"indbyggere ud over knækket betaler {fmt.pct(rate, 0)} af SAPA-prisen{rate_status}. I {ctx.year} sparer knækket "
            f"kommunen **{fmt.kr(-effect['effect'])}** ({fmt.kr_per_inhabitant(-effect['effect_per_inhabitant'])} pr. "
            f"indbygger) i forhold til en model uden knæk med samme samlede betaling.")
else:
    text = (f"{place.name} har under {fmt.num(threshold)} indbyggere og får ikke selv knækrabat; indbyggere ud over "
            f"knækket betaler {fmt.pct(rate, 0)} af prisen{rate_status}. Fordi SAPAs samlede pris ikke stiger, betaler kommunen lidt "
            f"mere pr. indbygger for de store kommuners rabat: **{fmt.kr(effect['effect'])}** i {ctx.year} "
            f"({fmt.kr_per_inhabitant(effect['effect_per_inhabitant'])} pr. indbygger).")
if ctx.year >= ctx.infrastructure_from:
    infra = knee.infrastructure_knee_effect(ctx.table, ctx.year, ctx.scenario).set_index("kommunekode")
    infra_threshold, infra_rate = ctx.knee("infrastructure")
    saving = infra.loc[place.code, "saving"]
    text += (f"\n\nInfrastrukturen har sit eget knæk ved {fmt.num(infra_threshold)} indbyggere "
             f"({fmt.pct(infra_rate, 0)} af prisen ud over det). "
             + (f"Det sparer {place.name} {fmt.kr(saving)} i {ctx.year}." if compare.more(saving) else
                f"{place.name} er under det og betaler fuld infrastrukturpris for alle indbyggere."))
display(Markdown(text))

# %% [markdown]
# ## Indbyggertal 1. januar

# %% tags=["remove_input"]
people = mine.drop_duplicates("year")[["year", "population", "population_projected"]].rename(
    columns={"population_projected": "projected"})
charts.population_path(people, f"{place.name}: indbyggertal 1. januar",
                       f"Linjediagram over {whose} indbyggertal 1. januar; fremskrevne år er stiplede",
                       show.last_observed_year())

# %% tags=["remove_input"]
display(show.provenance(ctx.scenario, mine))
