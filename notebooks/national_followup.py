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
# # Budgetopfølgning for alle kommuner i en fakturafil
#
# Set the invoice file in the parameters cell below (or with papermill: `-p invoices fakturaer.csv`) and run all.

# %% tags=["parameters"]
invoices = "scenarios/fakturaer_opfoelgning_eksempel.csv"  # str: the invoices paid (CSV or XLSX, as sapa calibrate reads)
year = None  # int | None: the year followed up; None: the latest year in the file
as_of = ""  # str: the as-of date, YYYY-MM-DD; empty: the end of the last month any of them has invoiced
scenario = ""  # str: the scenario YAML file the budget was made with; empty means the shipped baseline
unit = 1  # int: the table's unit: 1 for kroner, 1000 for 1.000 kr.
accept_warnings = 0  # int: 1 to use invoices the calibration finds implausible (they are named); 0 refuses them

# %% tags=["remove_input"]
from IPython.display import HTML, display

from sapa_model.views import fmt
from sapa_model.views import followup as fu
from sapa_model.views import presentation as show
from sapa_model.views.labels import FOLLOWUP

budget, table = fu.setup_all(invoices, year, as_of, scenario, unit, accept_warnings)
a = table.attrs
national = fu.national_table(table, unit)
show.heading(f"Budgetopfølgning {a['year']} pr. {fmt.date(a['as_of'])}: kommunerne i fakturafilen",
             "For hver kommune i fakturafilen: budgettet, hvad den har betalt indtil nu, det forventede regnskab og "
             "afvigelsen fra budgettet med dens forklaring. Klik på en kolonneoverskrift for at sortere efter den.",
             budget, table, figures=fu.national_key_figures(table), answer=f"**{fu.national_answer(table)}**")
show.key_figures(year=a["year"], as_of=a["as_of"].isoformat(), unit=unit, order=national["Kode"].tolist()[:-1],
                 deviation=national[FOLLOWUP["deviation"]].tolist(), year_end=national[FOLLOWUP["year_end"]].tolist())

# %% tags=["remove_input"]
display(HTML(fu.sortable(national, f"Budgetopfølgning {a['year']} pr. {fmt.date(a['as_of'])}, "
                         f"{fu.caption(unit, budget.params)}", FOLLOWUP["deviation"])))
display(HTML(fu.items([fu.rounding_note(unit) + " »I alt« er summen af kommunerne.", fu.parts_note(),
                       "SAPA-pris, forventet: den pris pr. vægtet indbygger, kommunens egne SAPA-fakturaer giver.",
                       f"Budget: scenariet »{budget.name}«. Hver kommunes egen opfølgning viser linjerne, "
                       "fakturaerne og hvad tallene bygger på."])))

# %% tags=["remove_input"]
display(show.scenario_box(budget))
display(show.provenance(budget, table))
