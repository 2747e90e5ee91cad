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

# %%

# %% [markdown] tags=["remove_cell"]
# # Budgetopfølgning for én kommune
#
# Set the municipality and the invoice file in the parameters cell below (or with papermill: `-p kommune Læsø
# -p invoices fakturaer.csv`) and run all.

# %% tags=["parameters"]
kommune = "Læsø"  # str | int: the municipality, by name (any common spelling) or 3-digit code
invoices = "scenarios/fakturaer_opfoelgning_eksempel.csv"  # str: the invoices paid (CSV or XLSX, as sapa calibrate reads)
year = None  # int | None: the year followed up; None: the latest year the municipality's invoices cover
as_of = ""  # str: the as-of date, YYYY-MM-DD; empty: the end of the last month invoiced
scenario = ""  # str: the scenario YAML file the budget was made with; empty means the shipped baseline
unit = 1  # int: the tables' unit: 1 for kroner, 1000 for 1.000 kr.
accept_warnings = 0  # int: 1 to use invoices the calibration finds implausible (they are named); 0 refuses them

# %% tags=["remove_input"]
from IPython.display import HTML, display

from sapa_model.analysis.budget import KRONER
from sapa_model.views import followup as fu
from sapa_model.views import presentation as show
from sapa_model.views import terms

budget, result = fu.setup(kommune, invoices, year, as_of, scenario, unit, accept_warnings)
a = result.attrs
caption = fu.caption(unit, budget.params)
show.heading(fu.title(result),
             "Hvad kommunen har betalt for SAPA og de tilknyttede fælleskommunale betalinger indtil nu, hvad resten "
             "af året forventes at koste, og hvordan det forventede regnskab afviger fra budgettet, linje for linje, "
             f"i {terms.terms(KRONER, budget.params)}.",
             fu.scenario_of(result, budget), result, figures=fu.key_figures(result),
             answer=f"**{fu.answer(result)}** {fu.summary(result)}")
shown = fu.rounded(result, 1)
show.key_figures(kommunekode=a["kommunekode"], year=a["year"], as_of=a["as_of"].isoformat(), unit=unit,
                 **{f"{line}_{column}": shown.loc[line, column] for line in shown.index
                    for column in ("budget", "paid", "rest", "year_end", "deviation", "price", "population", "timing")})

# %% [markdown]
# ## Budget, betalt og forventet regnskab

# %% tags=["remove_input"]
display(HTML(fu.html_table(fu.table(result, unit), f"{fu.title(result)}, {caption}",
                           [fu.rounding_note(unit), f"Budget: scenariet »{budget.name}«. Afvigelse (%) er af "
                            "budgettet. Grundlag: hvad resten af året bygger på (se nedenfor)."])))

# %% tags=["remove_input"]
fu.chart(result, budget.params)

# %% [markdown]
# ## Afvigelsen forklaret

# %% tags=["remove_input"]
display(HTML(fu.html_table(fu.explained(result, unit), f"{a['kommune']}: afvigelsen fra budgettet {a['year']}, "
                           f"{caption}", [fu.parts_note()])))

# %% [markdown]
# ## Hvad tallene bygger på

# %% tags=["remove_input"]
display(HTML(fu.items([*fu.resting(result), fu.population_note(result), *fu.notes(result, budget.params)])))

# %% tags=["remove_input"]
display(show.table(fu.invoices(result), caption=f"Fakturaerne {a['year']}, som opfølgningen bygger på, "
                                                 f"{fu.caption(1, budget.params)}"))

# %% tags=["remove_input"]
display(show.scenario_box(budget))
display(show.provenance(fu.scenario_of(result, budget), result))
