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
draws = None  # int | None: number of Monte Carlo draws of the monopoly-break delays; None: the scenario's

# %% tags=["remove_input"]
import pandas as pd
from IPython.display import Markdown, display

from sapa_model.analysis import compare, risk
from sapa_model.views import charts, fmt, prose, terms
from sapa_model.views import presentation as show
from sapa_model.views.labels import APPROVED, BAND, COMPONENT, LINE, MUNICIPALITIES
from sapa_model.views.notebook import setup

ctx = setup(scenario=scenario, budget_year=budget_year, first_year=first_year, last_year=last_year, draws=draws)
table = ctx.table
threshold, rate = ctx.knee()
bands = risk.risk_table(ctx.scenario, ctx.years, ctx.draws)
check = compare.total_check(table)
differing = check.index[compare.more(check["difference"].abs())]
in_year = compare.national(table).query("year == @ctx.year and component == 'sapa'").set_index("model")["amount_dkk"]
difference = compare.municipal_difference(table)
more = difference[compare.more(difference["difference"])]
less = difference[compare.less(difference["difference"])]
span = f"{ctx.years[0]}-{ctx.years[-1]}"
show.heading(
    f"Gammel og ny afregningsmodel for SAPA, {span}",
    f"Hvad de {MUNICIPALITIES} kommuner betaler for SAPA efter den gamle afregningsmodel (trappemodellen, koblet til "
    f"udfasningen af KMD Sag) og efter den nye model, som SAPAs kommunestyregruppe godkendte {APPROVED}: en fast pris "
    f"pr. kalenderår pr. indbygger 1. januar, med knækrabat for indbyggere ud over {fmt.num(threshold)}: de betaler "
    f"{fmt.pct(rate, 0)} af prisen{show.status_note(ctx.params, 'sapa.knee.rate')}.",
    ctx.scenario, show.resting_on(table, bands),
    figures=[(f"SAPA i {ctx.year}, alle {MUNICIPALITIES} kommuner", fmt.mio_kr(in_year["new"]), "ny model"),
             ("Ny minus gammel model", fmt.mio_kr(in_year["new"] - in_year["old"]),
              f"i {ctx.year}, planlagt tidsplan"),
             (f"Betaler mere / mindre, {span}", f"{len(more)} / {len(less)}", "kommuner, SAPA efter den nye model")],
    answer=f"**I budgetåret {ctx.year} betaler de {MUNICIPALITIES} kommuner tilsammen {fmt.mio_kr(in_year['new'])} for "
    f"SAPA** efter den nye model ({ctx.terms}); efter den gamle model på den planlagte tidsplan ville det have "
    f"været {fmt.mio_kr(in_year['old'])} "
    + (f"Samlet set betaler kommunerne forskelligt efter de to modeller i {fmt.years(differing)}."
       if len(differing) else "Samlet set betaler kommunerne det samme for SAPA hvert år efter de to modeller; "
       "forskellen ligger i, hvordan betalingen fordeles mellem kommunerne."))
display(show.scenario_box(ctx.scenario))

# %% [markdown]
# ## Stiger prisen samlet set?
#
# To svar, fordi spørgsmålet har to sammenligninger: mod den gamle model på den planlagte tidsplan for
# monopolbruddet, og mod den gamle model med de forsinkelser, der kunne forventes.

# %% tags=["remove_input"]
largest = check["difference"].abs().max()
rise = risk.total_rise(bands)
derived = ctx.params.value("sapa.price.method") == "derived" and not ctx.params["sapa.price.calibrated"].values
if compare.more(largest) or not derived:
    plan = (f"**Mod planen: {'mere' if rise['plan'] > 0 else 'mindre'}, {fmt.kr(abs(rise['plan']))}** over {span}: i "
            "dette scenarie betaler kommunerne tilsammen ikke det samme efter de to modeller på den planlagte "
            "tidsplan, fordi den nye models priser er " + ("givet direkte eller kalibreret fra fakturaer."
                                                          if not derived else "udledt af en anden tidsplan."))
else:
    plan = (f"**Mod planen: nej, og det er en konstruktion.** Den nye models pris er udledt, så kommunerne "
            f"tilsammen betaler præcis det samme for SAPA hvert år {span} som efter den gamle model på den "
            f"planlagte tidsplan (største forskel {fmt.kr(largest, 2)}). Det er modellens antagelse om, hvad "
            "»stiger ikke samlet set« betyder, ikke et resultat.")
expected = (f"**Mod de forventede forsinkelser: {'ja' if compare.more(rise['expected']) else 'nej'}.** Med "
            f"forsinkelserne i monopolbruddet trukket {fmt.num(bands.attrs['draws'])} gange ville den gamle model "
            f"over {span} i gennemsnit have kostet kommunerne {fmt.mio_kr(abs(rise['expected']))} "
            f"{'mindre' if rise['expected'] > 0 else 'mere'} end den nye (5-95 %: {fmt.mio_kr(rise['p05'])} til "
            f"{fmt.mio_kr(rise['p95'])}, ny minus gammel), fordi forsinkelser udskød den gamle models trin op ad "
            "trappen. Forsinkelsernes fordelinger er antagelser, vist i rammen øverst.")
display(Markdown(plan + "\n\n" + expected))
shown = check.rename(columns={"old": LINE["sapa_old"], "new": LINE["sapa_new"], "difference": LINE["difference"]})
display(show.table(shown.rename_axis("År").reset_index(), {c: fmt.kr for c in shown.columns},
                   caption=f"SAPA i alt for de {MUNICIPALITIES} kommuner på den planlagte tidsplan, {ctx.kroner_caption}"))
expected_by_year = bands.attrs["national"].query("model == 'difference'").set_index("year")
display(show.table(expected_by_year.reset_index()[["year", "timeline", "mean", "p05", "p95"]].rename(columns={
    "year": "År", "timeline": "Mod planen", "mean": "Mod forventede forsinkelser", "p05": "5 %", "p95": "95 %"}),
    {c: fmt.kr for c in ("Mod planen", "Mod forventede forsinkelser", "5 %", "95 %")} | {"År": str},
    caption=f"Hele regningen for de {MUNICIPALITIES} kommuner, ny minus gammel model, {ctx.kroner_caption}"))
show.key_figures(sapa_old_total=check["old"].sum(), sapa_new_total=check["new"].sum(), differing_years=[int(y) for y in differing],
                 largest_difference=largest, first_year=ctx.years[0], last_year=ctx.years[-1],
                 rise_expected=rise["expected"], rise_p05=rise["p05"], rise_p95=rise["p95"])

# %% [markdown]
# ## Alle betalinger pr. år
#
# SAPA sammen med de betalinger, der følger af monopolbruddet: den fælleskommunale infrastruktur
# (faktureret særskilt fra dens første år), buffetprisen for drift af services og KMD Sag, som udfases.

# %% tags=["remove_input"]
national = compare.national(table).assign(Komponent=lambda f: f["component"].map(COMPONENT))
charts.model_lines(national, "amount_dkk", f"Betalinger pr. år for alle {MUNICIPALITIES} kommuner",
                   "Fire små linjediagrammer, et for hver betaling, med ny og gammel model pr. år",
                   "kr. pr. år", facet="Komponent")

# %% [markdown]
# ## Hvem betaler mere, og hvem betaler mindre?
#
# Forskellen på SAPA-regningen mellem ny og gammel model for hver kommune, summeret over årene og
# omregnet til kroner pr. indbygger pr. år, på den planlagte tidsplan. Den nye models knækrabat flytter
# betaling fra de største kommuner til de øvrige. At den gamle model ikke havde noget knæk, er en del af
# hypotesen om dens formel, som ikke er offentlig.

# %% tags=["remove_input"]
display(Markdown(
    f"**{len(more)} kommuner betaler mere** for SAPA efter den nye model, i alt {fmt.kr(more['difference'].sum())} "
    f"over {ctx.years[0]}-{ctx.years[-1]}; **{len(less)} betaler mindre**, i alt "
    f"{fmt.kr(-less['difference'].sum())} Størst stigning pr. indbygger: {difference.iloc[0]['kommune']} "
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
regions = compare.regional_difference(difference, table)
shown = regions.rename(columns={
    "region": "Region", "old": "SAPA, gammel model", "new": "SAPA, ny model", "difference": "Forskel",
    "difference_per_inhabitant": "Forskel pr. indbygger pr. år", "pays_more": "Kommuner der betaler mere",
    "pays_less": "Kommuner der betaler mindre"})
display(show.table(shown, {"SAPA, gammel model": fmt.kr, "SAPA, ny model": fmt.kr, "Forskel": fmt.kr,
                           "Forskel pr. indbygger pr. år": fmt.kr_per_inhabitant},
                   caption=f"SAPA pr. region, {ctx.years[0]}-{ctx.years[-1]}, {ctx.kroner_caption}"))

# %% [markdown]
# ## Forudsigelighed: hele regningen under forsinkelser
#
# Under den gamle model afhang SAPA-regningen af, hvornår KSD, KY og Udbetaling Danmark nåede hver bølge,
# og hvornår KMD Sag kunne slukkes. Men KMD Sag afhænger af de samme forsinkelser under begge modeller: en
# forsinkelse sænker den gamle models SAPA-regning og forlænger betalingen til KMD Sag. Derfor måles
# forudsigeligheden her på hele regningen (SAPA, infrastruktur, buffetpris og KMD Sag), ikke på
# SAPA-linjen alene. Spændet er forskellen mellem det højeste og laveste udfald i 90 % af forløbene, i
# kommunens mest usikre år.

# %% tags=["remove_input"]
spread = risk.predictability(bands, table)
better, worse = spread[compare.less(spread["change"])], spread[compare.more(spread["change"])]
biggest = spread.iloc[-1] if len(worse) else spread.iloc[0]  # the largest rise in uncertainty, else the largest fall
display(Markdown(
    f"**For {fmt.share_of(len(better), MUNICIPALITIES)} kommuner blev hele regningen mere forudsigelig** med den "
    f"nye model, **for {fmt.share_of(len(worse), MUNICIPALITIES)} mindre forudsigelig.** Den nye model fjerner "
    "usikkerheden om SAPA-linjen, men KMD Sag er stadig lige så usikker, og under den gamle model trak de to i hver "
    f"sin retning. Størst {'stigning' if len(worse) else 'fald'} i usikkerheden: {biggest['kommune']}, hvor "
    f"spændet gik fra {fmt.kr(biggest['old'])} til {fmt.kr(biggest['new'])}"))  # kr. ends the sentence
charts.diverging_bars(
    spread, "change_per_inhabitant", "kommune", "Ændring i hele regningens usikkerhed, ny minus gammel model",
    "Vandret søjlediagram med en søjle pr. kommune: til højre blev regningen mindre forudsigelig med den nye model, "
    "til venstre mere", "kr. pr. indbygger", labels=("Mindre forudsigelig", "Mere forudsigelig"),
    subtitle="Spændet mellem 5 % og 95 % af forløbene i kommunens mest usikre år",
    tooltip_extra=[charts.alt.Tooltip("new:Q", title="Spænd, ny model", format=fmt.d3("kr")),
                   charts.alt.Tooltip("old:Q", title="Spænd, gammel model", format=fmt.d3("kr"))])

# %% tags=["remove_input"]
ends = prose.ends(spread.head(5)["change"], spread.tail(5)["change"])
shown = pd.concat([spread.head(5), spread.tail(5)]).rename(columns={
    "kommune": "Kommune", "old": "Spænd, gammel model", "new": "Spænd, ny model", "change": "Ændring (ny − gammel)"})
display(show.table(shown[["Kommune", "Spænd, ny model", "Spænd, gammel model", "Ændring (ny − gammel)"]],
                   {c: fmt.kr for c in ("Spænd, gammel model", "Spænd, ny model", "Ændring (ny − gammel)")},
                   caption=f"Hele regningens spænd ({BAND}) i det mest usikre år: {ends}, {ctx.kroner_caption}"))
show.key_figures(draws=bands.attrs["draws"], more_predictable=len(better), less_predictable=len(worse))

# %% tags=["remove_input"]
display(show.provenance(ctx.scenario, show.resting_on(table, bands)))
