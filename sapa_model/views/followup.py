"""The budget follow-up in Danish: the answer first, the table that adds up, the deviation explained and what each
line rests on, as the terminal, the reports and the workbook show them (analysis.followup computes them)."""

from __future__ import annotations

import html
import warnings
from pathlib import Path

import altair as alt
import pandas as pd

from ..analysis.budget import Basis
from ..analysis.followup import LINES, followup, followup_all, joined_scenario, ranking, rounded
from ..analysis.outlook import KNEE
from ..components import NAMES as COMPONENTS
from ..errors import FollowupError, NotebookParameterError, ParameterExtrapolationWarning, as_option, echo
from ..files import project_folder
from ..parameters import ParameterSet
from ..scenarios import Scenario, load_scenario
from . import fmt, render, terms
from .charts import finish
from .labels import (
    FOLLOWUP,
    FOLLOWUP_BASIS,
    FOLLOWUP_LINE,
    PROJECTION,
    STATUS,
    TOTAL_ROW,
    official_name,
)
from .presentation import label_cells, unsourced_values
from .presentation import table as show_table
from .prose import finding, rows_text

MAIN = ("budget", "budget_to_date", "paid", "rest", "year_end", "deviation", "deviation_pct")
EXPLAINED = ("price", "population", "timing", "deviation")


def months_text(months: list[int]) -> str:
    """Months of a year in Danish: [1, 2, 3] -> 'januar-marts'; [1, 3, 4] -> 'januar og marts-april'."""
    runs: list[list[int]] = []
    for month in sorted(months):
        if runs and month == runs[-1][-1] + 1:
            runs[-1].append(month)
        else:
            runs.append([month])
    names = fmt.MONTHS
    return fmt.join([f"{names[r[0] - 1]}-{names[r[-1] - 1]}" if len(r) > 1 else names[r[0] - 1] for r in runs])


def _over(deviation: float, share: float) -> str:
    """'5.624 kr. over budgettet (7,4 %)', '… under budgettet (…)' or 'som budgettet'."""
    if deviation == 0:
        return "som budgettet"
    side = "over" if deviation > 0 else "under"
    return f"{fmt.kr(abs(deviation))} {side} budgettet" + (f" ({fmt.pct(abs(share))})" if pd.notna(share) else "")


def answer(result: pd.DataFrame) -> str:
    """The answer first, in kroner as the kroner table shows it: 'Forventet regnskab 2026: 81.398 kr., 5.624 kr.
    over budgettet (7,4 %).'"""
    total = rounded(result, 1).loc["total"]
    year = result.attrs["year"]
    return (
        f"Forventet regnskab {year}: {fmt.kr(total['year_end'])}, {_over(total['deviation'], total['deviation_pct'])}."
    )


def title(result: pd.DataFrame) -> str:
    """'Læsø Kommune: budgetopfølgning 2026 pr. 30. juni 2026'."""
    a = result.attrs
    return f"{official_name(a['kommune'])}: budgetopfølgning {a['year']} pr. {fmt.date(a['as_of'])}"


def _shown(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """Rounded follow-up figures with Danish line labels and headings."""
    return frame[list(columns)].rename(index=FOLLOWUP_LINE, columns=FOLLOWUP)


def table(result: pd.DataFrame, unit: int = 1) -> pd.DataFrame:
    """The follow-up table: the lines and their total (I alt) x budget, budget til dato, betalt til dato, forventet
    resten af året, forventet regnskab, afvigelse (in the unit) and afvigelse (%), with what each line rests on."""
    shown = _shown(rounded(result, unit), MAIN)
    shown["Grundlag"] = [FOLLOWUP_BASIS[b] for b in result.loc[list(LINES), "basis"]]
    return shown


def explained(result: pd.DataFrame, unit: int = 1) -> pd.DataFrame:
    """The deviation split into price, population and timing per line (in the unit); each row adds up."""
    return _shown(rounded(result, unit), EXPLAINED)


def formatted(frame: pd.DataFrame) -> pd.DataFrame:
    """A follow-up table as text in Danish formats (amounts with separators, shares as '4,2 %')."""
    pct = FOLLOWUP["deviation_pct"]

    def one(value, column: str) -> str:
        if isinstance(value, str):
            return value
        if pd.isna(value):
            return "–"
        return fmt.pct(value) if column == pct else fmt.num(value)

    return frame.apply(lambda column: column.map(lambda v: one(v, column.name))).rename_axis(None)


def rounding_note(unit: int) -> str:
    """How the follow-up table is rounded, as its footnote says it."""
    whole = "kroner" if unit == 1 else "1.000 kr."
    return (
        f"Hvert beløb er afrundet for sig til hele {whole}; forventet resten af året er forventet regnskab minus betalt, "
        "afvigelsen forventet regnskab minus budget, »heraf pris« resten af afvigelsen, og »I alt« summen af linjerne, "
        "så tabellen altid summer."
    )


def parts_note() -> str:
    """What the deviation's parts mean."""
    return (
        "»Heraf pris«: fakturaernes pris mod budgettets, på det observerede indbyggertal. »Heraf indbyggertal«: "
        "budgettets priser på det observerede indbyggertal 1. januar i stedet for det fremskrevne, budgettet "
        "byggede på. »Heraf måneder«: måneder, der faktureres, men som budgettet ikke havde (eller omvendt), til "
        "budgettets beløb pr. måned."
    )


def _per(component: str) -> str:
    return "pr. vægtet indbygger" if component in KNEE else "pr. indbygger"


def _price(component: str, value: float) -> str:
    return f"{fmt.kr_per_inhabitant(value)} {_per(component)}"


def resting(result: pd.DataFrame) -> list[str]:
    """What each line's figures rest on, one Danish sentence per line."""
    a = result.attrs
    year, texts = a["year"], []
    for component in COMPONENTS:
        line = result.loc[component]
        label = FOLLOWUP_LINE[component]
        paid, rest = a["months"][component]["paid"], a["months"][component]["rest"]
        status = (
            f" Mindst sikre grundlag: budgettet {STATUS[line['budget_status']]}, forventet regnskab "
            f"{STATUS[line['year_end_status']]}."
        )
        if line["basis"] == "not_billed":
            texts.append(f"{label}: faktureres ikke i {year}, hverken i budgettet eller på fakturaerne.")
            continue
        if line["basis"] == "budget_price":
            what = (
                f"budgettets pris, {_price(component, line['price_budget'])}, på det observerede indbyggertal"
                if pd.notna(line["price_budget"])
                else "budgettets beløb pr. måned"
            )
            texts.append(f"{label}: ingen faktura endnu; hele året til {what}.{status}")
            continue
        listed = [i["reference"] for i in a["invoices"] if i["component"] == component]
        count = len(listed)
        references = "; ".join(listed[:3]) + (f" og {count - 3} flere" if count > 3 else "")
        text = f"{label}: betalt for {months_text(paid)} ({fmt.num(count)} {'faktura' if count == 1 else 'fakturaer'}: {references})"
        if not line["months_rest"]:
            text += "; hele året er faktureret."
        elif pd.notna(line["price_expected"]):
            before = (
                f" (budgettets: {fmt.kr_per_inhabitant(line['price_budget'])})"
                if pd.notna(line["price_budget"])
                else ""
            )
            text += (
                f"; resten af året, {months_text(rest)}, til den pris fakturaerne giver: "
                f"{_price(component, line['price_expected'])}{before}."
            )
        else:
            text += f"; resten af året, {months_text(rest)}, med det beløb pr. måned, fakturaerne giver."
        if not line["months_budget"]:
            text += f" Budgettet havde ingen {label} i {year}: hele beløbet er en afvigelse i måneder."
        texts.append(text + status)
    return texts


def population_note(result: pd.DataFrame) -> str:
    """The population on 1 January the year-end and the budget rest on, in Danish."""
    a, people = result.attrs, result.attrs["population"]
    year = a["year"]
    if not people["known"]:
        return (
            f"Indbyggertallet 1. januar {year} er ikke offentliggjort endnu; budgettet og det forventede regnskab "
            f"bygger begge på det fremskrevne tal, {fmt.num(people['observed'])}, så en forskel i indbyggertal "
            "ligger i »heraf pris«, til tallet kendes."
        )
    return (
        f"Indbyggertallet 1. januar {year} er {fmt.num(people['observed'])} (Danmarks Statistik); budgettet byggede "
        f"på {fmt.num(people['budget'])}, fremskrevet fra tallene til og med {people['from_year']} "
        f"({PROJECTION[people['method']]})."
    )


def notes(result: pd.DataFrame, params: ParameterSet) -> list[str]:
    """Outstanding months of invoiced lines and invoices used despite a warning, in Danish."""
    a, texts = result.attrs, []
    for component, months in a["outstanding"].items():
        texts.append(
            f"{FOLLOWUP_LINE[component]}: {months_text(months)} er ikke faktureret pr. {fmt.date(a['as_of'])}; "
            f"{'måneden' if len(months) == 1 else 'månederne'} er regnet med i resten af året."
        )
    texts += [f"Advarsel, brugt alligevel: {finding(f, params)}" for f in a["accepted_warnings"]]
    return texts


def invoices(result: pd.DataFrame) -> pd.DataFrame:
    """The invoices the follow-up rests on: the file's row, payment, months, amount (kr.) and reference."""
    rows = result.attrs["invoices"]
    return pd.DataFrame(
        {
            "Række": [rows_text(i["where"]) for i in rows],
            "Betaling": [FOLLOWUP_LINE[i["component"]] for i in rows],
            "Måneder": [months_text(i["months"]) for i in rows],
            "Beløb (kr.)": [fmt.num(i["amount_dkk"], 2) for i in rows],
            "Reference": [i["reference"] for i in rows],
        }
    )


def key_figures(result: pd.DataFrame) -> list[tuple[str, str, str]]:
    """The figures a follow-up opens with (label, value, note), in kroner as its kroner table shows them."""
    total, a = rounded(result, 1).loc["total"], result.attrs
    share = total["deviation_pct"]
    return [
        (f"Forventet regnskab {a['year']}", fmt.kr(total["year_end"]), f"budget: {fmt.kr(total['budget'])}"),
        ("Afvigelse fra budgettet", fmt.signed_kr(total["deviation"]), fmt.pct(share) if pd.notna(share) else ""),
        ("Betalt til dato", fmt.kr(total["paid"]), f"pr. {fmt.date(a['as_of'])}"),
    ]


def national_key_figures(table: pd.DataFrame) -> list[tuple[str, str, str]]:
    """The national follow-up's opening figures: the year-end and deviation of all the file's municipalities
    together, and the municipality furthest from its budget."""
    ranked = ranking(table)
    first = ranked.loc[ranked["deviation"].abs().idxmax()]  # over or under the budget
    budget, year_end = ranked["budget"].sum(), ranked["year_end"].sum()
    return [
        (f"Forventet regnskab {table.attrs['year']}", fmt.kr(year_end), f"{len(ranked)} kommuner i fakturafilen"),
        ("Afvigelse fra budgettet", fmt.signed_kr(year_end - budget), f"budget: {fmt.kr(budget)}"),
        ("Størst afvigelse", str(first["kommune"]), fmt.signed_kr(first["deviation"])),
    ]


def summary(result: pd.DataFrame) -> str:
    """After the answer: what is paid, what the rest of the year costs, and the deviation's parts, in kroner."""
    total = rounded(result, 1).loc["total"]
    a = result.attrs
    parts = [
        f"{word} ({fmt.signed_kr(total[part])})"
        for part, word in (("price", "prisen"), ("population", "indbyggertallet"), ("timing", "måneder"))
        if total[part]
    ]
    why = f" Afvigelsen skyldes {fmt.join(parts)}." if parts and total["deviation"] else ""
    return (
        f"Betalt til dato ({fmt.date(a['as_of'])}): {fmt.kr(total['paid'])} af et budget på {fmt.kr(total['budget'])} "
        f"Resten af året forventes at koste {fmt.kr(total['rest'])}{why}"
    )


def items(texts: list[str]) -> str:
    """Sentences as an HTML list, every text escaped (they name invoice references a user typed)."""
    return "<ul>" + "".join(f"<li>{html.escape(t)}</li>" for t in texts) + "</ul>"


def html_table(frame: pd.DataFrame, caption: str, notes: list[str]) -> str:
    """A follow-up table (table() or explained()) as HTML with Danish formats, its caption and notes, escaped."""
    shown = formatted(frame).rename_axis("Budgetlinje").reset_index()
    body = show_table(shown, caption=caption).data
    return body + "".join(f'<p class="sapa-note">{html.escape(n)}</p>' for n in notes if n)


def scenario_of(result: pd.DataFrame, budget: Scenario) -> Scenario:
    """The budget scenario with the municipality's invoices of the year: what its year-end figures rest on."""
    return joined_scenario(budget, result.attrs["observations"])


def values(result: pd.DataFrame, budget: Scenario) -> pd.DataFrame:
    """Every value a municipality's follow-up rests on that is not a documented source (the budget's and the
    invoices'), least certain first: Værdi, Tal, Grundlag, Kilde."""
    return unsourced_values(scenario_of(result, budget), result.attrs["unsourced"])


def chart(result: pd.DataFrame, params: ParameterSet) -> alt.Chart:
    """The year month by month, accumulated: the budget spread over its months, what is paid up to the as-of date,
    and the expected year-end (paid, then the rest); at December the gap between the lines is the deviation."""
    a, by_month = result.attrs, result.attrs["by_month"]
    month = [fmt.MONTHS[m][:3] for m in range(12)]
    paid = pd.Series(by_month["paid"]).cumsum()
    lines = {
        "Budget": pd.Series(by_month["budget"]).cumsum(),
        "Betalt til dato": paid.where(pd.Series(range(12)) < a["months_to_date"]),
        "Forventet regnskab": (pd.Series(by_month["paid"]) + pd.Series(by_month["rest"])).cumsum(),
    }
    data = pd.DataFrame(
        [
            {"Måned": month[m], "Linje": name, "kr": float(values[m])}
            for name, values in lines.items()
            for m in range(12)
            if pd.notna(values[m])
        ]
    )
    order = list(lines)
    legend = alt.Legend(title=None, orient="top")
    chart = (
        alt.Chart(data)
        .mark_line(point=True, strokeWidth=2)
        .encode(
            x=alt.X("Måned:O", sort=month, title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("kr:Q", title=f"{terms.axis('')}, lagt sammen fra 1. januar", axis=alt.Axis(format=fmt.d3("kr"))),
            color=alt.Color(
                "Linje:N", scale=alt.Scale(domain=order, range=["#888888", "#1f5f8b", "#6baed6"]), legend=legend
            ),
            strokeDash=alt.StrokeDash(  # told apart by dash too, not by colour alone; one legend for both
                "Linje:N", scale=alt.Scale(domain=order, range=[[6, 3], [1, 0], [2, 2]]), legend=legend
            ),
            tooltip=[alt.Tooltip("Måned:O"), alt.Tooltip("Linje:N"), alt.Tooltip("kr:Q", format=fmt.d3("kr"))],
        )
    )
    return finish(
        chart,
        f"{a['kommune']}: betalt og forventet {a['year']} mod budgettet",
        f"Linjediagram over {fmt.genitive(a['kommune'])} betalinger {a['year']} lagt sammen måned for måned: budgettet, "
        "det betalte til dato og det forventede regnskab",
        subtitle="Alle linjer tilsammen; i december er afstanden mellem linjerne afvigelsen fra budgettet "
        f"({terms.terms(Basis(), params)})",
        width=620,
        height=240,
    )


def national_answer(table: pd.DataFrame) -> str:
    """'Forventet regnskab 2026 for de 3 kommuner i fakturafilen: … kr., … kr. over budgettet (…).'"""
    ranked = ranking(table)
    year, count = table.attrs["year"], len(ranked)
    budget, year_end = ranked["budget"].sum(), ranked["year_end"].sum()
    exact = table[table["line"] == "total"][["budget", "deviation"]].sum()
    share = exact["deviation"] / exact["budget"] if exact["budget"] else float("nan")
    return (
        f"Forventet regnskab {year} for de {count} kommuner i fakturafilen: {fmt.kr(year_end)}, "
        f"{_over(year_end - budget, share)}."
    )


NATIONAL = ("budget", "paid", "year_end", "deviation", "deviation_pct", "price", "population", "timing")
PRICE = "SAPA-pris, forventet (kr. pr. vægtet indbygger)"  # the price a municipality's own SAPA invoices imply


def national_table(table: pd.DataFrame, unit: int = 1) -> pd.DataFrame:
    """One row per municipality, sorted by deviation (the largest overrun first): its follow-up's total rounded as
    its own page shows it, the SAPA price its invoices imply, and how many of its billed lines are invoiced; a last
    row I alt, the sum of the rows."""
    ranked = ranking(table, unit)
    frame = pd.DataFrame(
        {
            "Kommune": ranked["kommune"],
            "Kode": ranked["kommunekode"].astype(str),
            **{FOLLOWUP[c]: ranked[c] for c in NATIONAL},
            PRICE: ranked["sapa_price_expected"],
            "Fakturerede linjer": [f"{i} af {b}" for i, b in zip(ranked["lines_invoiced"], ranked["lines_billed"])],
        }
    )
    sums = {FOLLOWUP[c]: ranked[c].sum() for c in NATIONAL if c != "deviation_pct"}
    exact = table[table["line"] == "total"][["budget", "deviation"]].sum()
    total = {
        "Kommune": TOTAL_ROW,
        "Kode": "",
        **sums,
        FOLLOWUP["deviation_pct"]: exact["deviation"] / exact["budget"] if exact["budget"] else float("nan"),
        PRICE: float("nan"),
        "Fakturerede linjer": "",
    }
    return pd.concat([frame, pd.DataFrame([total])], ignore_index=True)


SORT_SCRIPT = """
for (const table of document.querySelectorAll('table.sapa-sortable')) {
  const heads = [...table.tHead.rows[0].cells];
  heads.forEach((th, i) => {
    th.tabIndex = 0;
    const sort = () => {
      const down = th.getAttribute('aria-sort') !== 'descending';
      heads.forEach(h => h.removeAttribute('aria-sort'));
      th.setAttribute('aria-sort', down ? 'descending' : 'ascending');
      const body = table.tBodies[0], total = body.querySelector('tr.sapa-total');
      const rows = [...body.rows].filter(r => r !== total);
      const key = r => r.cells[i].dataset.value;
      rows.sort((a, b) => {
        const x = key(a), y = key(b), nx = parseFloat(x), ny = parseFloat(y);
        const c = isNaN(nx) || isNaN(ny) ? x.localeCompare(y, 'da') : nx - ny;
        return down ? -c : c;
      });
      rows.forEach(r => body.insertBefore(r, total));
    };
    th.addEventListener('click', sort);
    th.addEventListener('keydown', e => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sort(); } });
  });
}
"""


def sortable(frame: pd.DataFrame, caption: str, sorted_by: str) -> str:
    """A table (last row: the total) whose columns sort in the browser when their heading is clicked (or Enter), by
    the numbers themselves; shown sorted by `sorted_by`, descending. Every text is escaped."""
    pct = FOLLOWUP["deviation_pct"]

    def cell(column: str, value) -> str:
        if isinstance(value, str):
            return f'<td data-value="{html.escape(value)}">{html.escape(value)}</td>'
        if pd.isna(value):
            return '<td data-value="">–</td>'
        text = fmt.pct(value) if column == pct else fmt.num(value, 2) if column == PRICE else fmt.num(value)
        return f'<td data-value="{float(value)!r}">{html.escape(text)}</td>'

    sort = ' aria-sort="descending"'
    heads = "".join(
        f'<th scope="col" title="Klik for at sortere" style="cursor:pointer"{sort if c == sorted_by else ""}>'
        f"{html.escape(c)}</th>"
        for c in frame.columns
    )
    last = len(frame) - 1
    rows = [
        ('<tr class="sapa-total">' if i == last else "<tr>") + "".join(cell(c, v) for c, v in row.items()) + "</tr>"
        for i, (_, row) in enumerate(frame.iterrows())
    ]
    body = (
        f'<table class="sapa-table sapa-sortable"><caption>{html.escape(caption)}</caption>'
        f"<thead><tr>{heads}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    return f'<div class="sapa-scroll">{label_cells(body)}</div><script>{SORT_SCRIPT}</script>'


def caption(unit: int, params: ParameterSet) -> str:
    """'1.000 kr., løbende priser, ekskl. moms': the unit and price level every follow-up table states."""
    return terms.caption(Basis(unit), params)


def _checked(invoices: str, unit: int, accept_warnings: int) -> Path:
    """The invoice file a follow-up notebook names (relative to the working folder, else to the project's, as the
    notebook may run from either); NotebookParameterError for parameters that cannot be right."""
    if not str(invoices or "").strip():
        raise NotebookParameterError("invoices: give the invoice file (CSV or XLSX, the columns of sapa calibrate)")
    if unit not in (1, 1000):
        raise NotebookParameterError(f"unit must be 1 (kroner) or 1000 (1.000 kr.), not {echo(unit)}")
    if accept_warnings not in (0, 1):
        raise NotebookParameterError(f"accept_warnings must be 0 or 1, not {echo(accept_warnings)}")
    warnings.simplefilter("ignore", ParameterExtrapolationWarning)  # the banner lists them instead
    render.enable()
    path = Path(invoices)
    return path if path.is_absolute() or path.exists() else project_folder() / path


def setup(
    kommune: str | int,
    invoices: str,
    year: int | None,
    as_of: str,
    scenario: str,
    unit: int,
    accept_warnings: int,
) -> tuple[Scenario, pd.DataFrame]:
    """A municipal follow-up notebook's parameters checked and its follow-up computed; NotebookParameterError or
    the follow-up's own error says what is wrong."""
    if kommune in (None, ""):
        raise NotebookParameterError("kommune: give the municipality, by name or code")
    path = _checked(invoices, unit, accept_warnings)
    budget = load_scenario(scenario or None)
    try:
        return budget, followup(kommune, path, year, as_of or None, budget, not accept_warnings)
    except FollowupError as exc:
        raise FollowupError(as_option(exc, "accept_warnings = 1")) from None


def setup_all(
    invoices: str, year: int | None, as_of: str, scenario: str, unit: int, accept_warnings: int
) -> tuple[Scenario, pd.DataFrame]:
    """The national follow-up notebook's parameters checked and every municipality in the file followed up."""
    path = _checked(invoices, unit, accept_warnings)
    budget = load_scenario(scenario or None)
    try:
        return budget, followup_all(path, year, as_of or None, budget, not accept_warnings)
    except FollowupError as exc:
        raise FollowupError(as_option(exc, "accept_warnings = 1")) from None
