"""What every notebook and report shows around its figures: the banner of illustrative parameters,
the scenario, the provenance, and tables in Danish formats."""

from __future__ import annotations

import datetime as dt
import html
import os
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pandas as pd
from IPython.display import HTML, Markdown, display

from ..analysis.budget import build_date
from ..data import datasets
from ..data.population import first_year, last_observed_year
from ..engine import KNOWN_PRICES, carried_with_index
from ..errors import counted
from ..parameters import STATUSES, Parameter, ParameterSet, wave_of
from ..scenarios import Scenario
from ..scenarios.calibration import Calibration
from ..version import __version__
from . import fmt
from .labels import COMPONENT, SEED_DECK, STATUS, VALUE
from .prose import projection


def describe_value(parameter: Parameter) -> str:
    """A parameter's values in Danish: '16,00 kr./indbygger/år' or '0,00 fra 2019, 3,00 fra 2020 (kr./...)' (kroner
    always with øre), '150.000 indbyggere', '2013 år' (a year as an integer)."""

    def one(value) -> str:
        if parameter.unit == "fil":  # its name only: no local folder name travels in a report or workbook
            return Path(str(value)).name or "ingen"
        if parameter.unit == "andel":
            return fmt.pct(value, 0 if (100 * value).is_integer() else 1)
        if parameter.unit.startswith("kr.") and isinstance(value, (int, float)) and not isinstance(value, bool):
            return fmt.num(value, 2)  # a price as invoiced, to the øre: '15,00 i 2026' beside '12,40 i 2021'
        if parameter.unit == "år" and isinstance(value, float) and value.is_integer():
            return str(int(value))  # a year or a number of years: '2013', never '2.013'
        if isinstance(value, float):
            return fmt.num(value, 0 if value.is_integer() else 2)
        if isinstance(value, dt.date):
            return fmt.date(value)
        return VALUE.get(value, value) or "ingen"

    unit = "" if parameter.unit in ("andel", "dato", "metode", "fil") else f" {parameter.unit}"
    if not parameter.values:
        return "ingen værdi"
    if len(parameter.values) == 1 and not parameter.per_year:
        return f"{one(parameter.values[0])}{unit}"
    word = "i" if parameter.per_year else "fra"
    steps = ", ".join(f"{one(v)} {word} {d.astype(object).year}" for d, v in zip(parameter.dates, parameter.values))
    return f"{steps} ({unit.strip()})" if unit else steps


def unsourced_values(scenario: Scenario, names: Iterable[str]) -> pd.DataFrame:
    """Every value the figures rest on that is not a documented source, least certain first: Danish label,
    value, status and reference (columns Værdi, Tal, Grundlag, Kilde) — what the banner, the exports'
    "Om tallene" and `sapa budget` list."""
    rows = []
    for members in _by_wave_family(scenario.params[n] for n in names):
        first = members[0]
        values = {describe_value(p) for p in members}
        if len(members) == 1:
            label, value = first.label, describe_value(first)
        elif len(values) == 1:  # a per-wave family with one value: one row
            label, value = first.label.rsplit(", ", 1)[0], f"{values.pop()} for alle bølger"
        else:
            label = first.label.rsplit(", ", 1)[0]
            value = "; ".join(f"{p.label.rsplit(', ', 1)[1]}: {describe_value(p)}" for p in members)
        rows.append(
            (
                -STATUSES.index(max((p.status for p in members), key=STATUSES.index)),
                label,
                value,
                STATUS[first.status],
                first.reference,
            )
        )
    rows.sort(key=lambda r: (r[0], r[1]))
    return pd.DataFrame(
        {
            "Værdi": [r[1] for r in rows],
            "Tal": [r[2] for r in rows],
            "Grundlag": [r[3] for r in rows],
            "Kilde": [r[4] for r in rows],
        },
        columns=["Værdi", "Tal", "Grundlag", "Kilde"],
    )


def calibration_table(calibration: Calibration) -> pd.DataFrame:
    """Each invoice against the calibrated model, in Danish, amounts formatted: what `sapa calibrate` prints."""
    frame = calibration.residuals
    return pd.DataFrame(
        {
            "Kommune": frame["kommune"],
            "År": frame["year"],
            "Komponent": frame["component"].map(COMPONENT),
            "Måneder": frame["months"],
            "Faktura": frame["amount_dkk"].map(lambda v: fmt.num(v, 2)),
            "Model": frame["modelled_dkk"].map(lambda v: fmt.num(v, 2)),
            "Afvigelse": frame["residual_dkk"].map(lambda v: fmt.num(v, 2)),
            "Reference": frame["reference"],
        }
    )


def _by_wave_family(params: Iterable[Parameter]) -> list[list[Parameter]]:
    """Parameters grouped so that one defined per wave (name.<wave>, same status) is one family."""
    families: dict[tuple[str, str], list[Parameter]] = {}
    for p in params:
        wave = wave_of(p.name)
        stem = p.name.removesuffix(f".{wave}") if wave else p.name
        families.setdefault((stem, p.status), []).append(p)
    return list(families.values())


def carried_forward(scenario: Scenario, table: pd.DataFrame) -> list[str]:
    """How each price carried past its last known year is carried, in Danish ('Infrastruktur: 2020-prisen
    fremskrevet med P/L, 2021-2030'), then every other value used past its last known one ('…: 2026-værdien,
    fremskrevet uændret'), from a compute() table's attrs."""
    params = scenario.params
    how = "fremskrevet med P/L" if carried_with_index(params) else "fremskrevet uændret"
    names = datasets.municipalities()["kommune"]
    texts, prices = [], set()
    for key, years in table.attrs.get("carried", {}).items():
        component, _, code = key.partition(".")
        for known in sorted(set(years.values())):
            later = [y for y, k in years.items() if k == known]
            what = (
                f"{COMPONENT[component]} for {names[int(code)]}: {known}-betalingen"
                if code
                else f"{COMPONENT[component]}: {known}-prisen"
            )
            texts.append(f"{what} {how}, {fmt.years(later)}")
    for key in table.attrs.get("carried", {}):
        prices |= set(KNOWN_PRICES.get(key.partition(".")[0], ()))
    others = [
        params[n] for n in table.attrs.get("extrapolated", []) if n not in prices and not n.startswith("kmd_sag.paid.")
    ]
    texts += [
        f"{p.label}: {p.dates[-1].astype(object).year}-{'prisen' if p.unit.startswith('kr') else 'værdien'}, "
        "fremskrevet uændret"
        for p in others
    ]
    return texts


_BOX = "border:2px solid #d9a400;border-radius:6px;padding:0.5em 1em;margin:0.8em 0;background:#fff4d6"


def notice(inner_html: str) -> str:
    """The yellow box every page opens with, around HTML that is already escaped."""
    return f'<aside class="sapa-banner" role="note" style="{_BOX}">{inner_html}</aside>'


def _basis_table(listed: pd.DataFrame) -> str:
    """The values that are not documented sources as an HTML table (every text escaped)."""
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in listed.itertuples(index=False)
    )
    headings = "".join(f"<th>{html.escape(c)}</th>" for c in listed.columns)
    return label_cells(
        f'<table class="sapa-table sapa-basis"><thead><tr>{headings}</tr></thead><tbody>{rows}</tbody></table>'
    )


def _forward_note(scenario: Scenario, table: pd.DataFrame) -> str:
    forward = carried_forward(scenario, table)
    return f"<p>Senere år bruger den sidst kendte værdi: {html.escape('; '.join(forward))}.</p>" if forward else ""


def status_line(listed: pd.DataFrame) -> str:
    """What the figures rest on, in one line of HTML: how many placeholders, invoices and other values that are
    not documented sources (the counts add up to the values listed)."""
    counts = listed["Grundlag"].value_counts()
    placeholders, calibrated = counts.get(STATUS["illustrative"], 0), counts.get(STATUS["calibrated"], 0)
    others = len(listed) - placeholders - calibrated
    parts = [
        f"{counted(placeholders, 'pladsholder', 'pladsholdere')}, ikke KOMBITs rigtige priser" if placeholders else "",
        f"{counted(calibrated, 'værdi', 'værdier')} er kalibreret fra kommunernes egne fakturaer" if calibrated else "",
        f"{counted(others, 'anden værdi', 'andre værdier')} er ikke dokumenterede kilder" if others else "",
    ]
    rests_on = "; ".join(p for p in parts if p)
    if placeholders:
        return f"<strong>Illustrative tal</strong> (brug dem til at forstå modellerne, ikke som budgettal): {rests_on}."
    if rests_on:
        return f"<strong>Tallenes grundlag.</strong> Ingen pladsholdere; {rests_on}."
    return "<strong>Tallenes grundlag.</strong> Ingen pladsholdere: alle værdier er dokumenterede kilder."


def banner(scenario: Scenario, table: pd.DataFrame) -> HTML:
    """One line in plain Danish: what the figures rest on (placeholders, invoices, assumptions), with the values
    themselves folded beneath it (label, value, status, reference; no parameter ids). On paper the fold stays
    shut and the values are printed at the end instead (appendix)."""
    listed = unsourced_values(scenario, table.attrs.get("unsourced", []))
    forward = _forward_note(scenario, table)
    if not len(listed) and not forward:
        return HTML(notice(f"<p>{status_line(listed)}</p>"))
    more = f"Vis de {len(listed)} værdier" if len(listed) else "Vis de fremskrevne værdier"
    return HTML(
        notice(
            f'<details><summary>{status_line(listed)} <span class="sapa-more">{more}</span>'
            '<span class="sapa-print-only">Værdierne står sidst i rapporten.</span></summary>'
            f"{_basis_table(listed) if len(listed) else ''}{forward}</details>"
        )
    )


def appendix(scenario: Scenario, table: pd.DataFrame) -> HTML:
    """The values the figures rest on, as the banner folds them, printed at the end of a report on paper only (on
    a screen they unfold under the banner)."""
    listed = unsourced_values(scenario, table.attrs.get("unsourced", []))
    forward = _forward_note(scenario, table)
    if not len(listed) and not forward:
        return HTML("")
    items = "".join(
        f"<li><strong>{html.escape(row.Værdi)}</strong>: {html.escape(row.Tal)} ({html.escape(row.Grundlag)})</li>"
        for row in listed.itertuples(index=False)
    )
    return HTML(
        '<section class="sapa-appendix"><h2>Bilag: værdier, der ikke er dokumenterede kilder</h2>'
        f"<p>{status_line(listed)} Kilderne og begrundelserne står i rapportens skærmudgave.</p>"
        f"<ul>{items}</ul>{forward}</section>"
    )


def key_figures_box(figures: Iterable[tuple[str, str, str]], scenario: Scenario, table: pd.DataFrame) -> HTML:
    """The box a report opens with (GOV.UK / Our World in Data style): a few key figures, each (label, value,
    note), already formatted in Danish, and beneath them what they rest on in one line (the banner)."""
    items = "".join(
        f"<div><dt>{html.escape(label)}</dt><dd>{html.escape(value)}"
        + (f"<small>{html.escape(note)}</small>" if note else "")
        + "</dd></div>"
        for label, value, note in figures
    )
    return HTML(
        f'<section class="sapa-key" aria-label="Nøgletal"><dl>{items}</dl>{banner(scenario, table).data}</section>'
    )


def resting_on(table: pd.DataFrame, *others: pd.DataFrame) -> pd.DataFrame:
    """A table whose attrs also list what other tables' figures rest on (e.g. the Monte Carlo's inputs), for
    the banner."""
    merged = table.copy()
    merged.attrs = {
        **table.attrs,
        "unsourced": sorted(
            set(table.attrs.get("unsourced", [])).union(*(o.attrs.get("unsourced", []) for o in others))
        ),
    }
    return merged


def heading(
    title: str,
    introduction: str,
    scenario: Scenario,
    table: pd.DataFrame,
    figures: Iterable[tuple[str, str, str]] = (),
    answer: str = "",
) -> None:
    """Open a report with the answer: the title, the key figures with what they rest on (the banner), the
    answer in a sentence or two (Markdown), then the introduction."""
    display(Markdown(f"# {title}"))
    display(key_figures_box(figures, scenario, table))
    display(Markdown("\n\n".join(t for t in (answer, introduction) if t)))


def scenario_box(scenario: Scenario) -> HTML:
    """The scenario's name, description and every parameter value that differs from the baseline. HTML with
    every text escaped: a scenario's name and description are whatever its author typed."""
    changed = scenario.changed()
    items = "".join(
        f"<li>{html.escape(scenario.params[n].label)}: {html.escape(describe_value(scenario.params[n]))} "
        f"(grundlag: {html.escape(STATUS[scenario.params[n].status])})</li>"
        for n in changed
    )
    named = f"<strong>Scenarie:</strong> {html.escape(scenario.name)}. {html.escape(scenario.description)}"
    body = (
        f"<p>{named}</p><p><strong>Ændret i forhold til basis:</strong></p><ul>{items}</ul>"
        if changed
        else f"<p>{named} Ingen parametre er ændret i forhold til basis.</p>"
    )
    return HTML(f'<div class="sapa-scenario">{body}</div>')


def provenance_text(scenario: Scenario) -> str:
    """Which scenario, data vintage, package version and build date produced the figures (plain text)."""
    source = f" (fil: {os.path.basename(scenario.source)})" if scenario.source else ""
    return (
        f"Beregnet med sapa-budget {__version__} den {fmt.date(build_date())}. Scenarie: {scenario.name}{source}. "
        f"Befolkning 1. januar fra Danmarks Statistik (FOLK1A/FOLK1AM), observeret {first_year()}-{last_observed_year()}, "
        f"derefter fremskrevet ({projection(scenario.params)}). Bølgeplan fra "
        f"{SEED_DECK}."
    )


def provenance(scenario: Scenario, table: pd.DataFrame | None = None) -> HTML:
    """The provenance line, in italics, for a notebook or report (escaped: it names the scenario); with the table
    the figures came from, the printed appendix of the values they rest on before it."""
    closing = appendix(scenario, table).data if table is not None else ""
    return HTML(f'{closing}<p class="sapa-provenance"><em>{html.escape(provenance_text(scenario))}</em></p>')


def folded(summary: str, inner_html: str) -> str:
    """HTML (already escaped) in a fold that is open on a screen and on paper and shut on a phone (the page's
    script shuts it), for a long table whose figures a chart beside it also shows."""
    return f'<details class="sapa-fold" open><summary>{html.escape(summary)}</summary>{inner_html}</details>'


def folded_text(summary: str, paragraphs: Iterable[str], phone_only: bool = False) -> HTML:
    """Paragraphs (Markdown with **bold** at most, escaped here) in a fold (see folded): the details behind a
    sentence, open on a screen and on paper, shut on a phone; `phone_only`: a fold only on a phone (phone_fold),
    the text as it is on a screen and on paper."""
    shown = "".join(
        "<p>" + re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html.escape(p, quote=False)) + "</p>"
        for p in paragraphs
    )
    return HTML(phone_fold(summary, shown) if phone_only else folded(summary, shown))


def table(
    frame: pd.DataFrame,
    formats: Mapping[str, Callable] | None = None,
    caption: str | None = None,
    fold: str = "",
    narrow: bool = False,
) -> HTML:
    """A DataFrame as an HTML table with Danish number formats per column and no index; with `fold`, in a fold
    (see folded) with that summary; `narrow`: few and short columns, a table on a phone too (else one card per
    row)."""
    formats = dict(formats or {})
    classes = "sapa-table sapa-narrow" if narrow else "sapa-table"
    body = frame.to_html(
        index=False, formatters=formats, escape=True, border=0, classes=classes, na_rep="–", justify="left"
    )
    if caption:
        body = body.replace(">\n  <thead>", f">\n  <caption>{html.escape(caption)}</caption>\n  <thead>", 1)
    shown = f'<div class="sapa-scroll">{label_cells(body)}</div>'
    return HTML(folded(fold, shown) if fold else shown)


def label_cells(table_html: str) -> str:
    """Give every column heading its scope and every body cell its column heading (data-label), so a screen
    reader names the column and a phone can show a wide table as one card per row with each value labelled."""
    if "</thead>" not in table_html:
        return table_html
    head, rest = table_html.split("</thead>", 1)
    head = re.sub(r"<th(?=[ >])(?![^>]*scope=)", '<th scope="col"', head)
    headings = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)]

    def row(match: re.Match) -> str:
        cells = iter(headings)
        return re.sub(
            r"<td(?=[ >])", lambda _: f'<td data-label="{html.escape(next(cells, ""), quote=True)}"', match.group(0)
        )

    return head + "</thead>" + re.sub(r"<tr[^>]*>.*?</tr>", row, rest, flags=re.S)


def budget_table(
    lines: pd.DataFrame,
    caption: str,
    notes: list[str],
    index: str = "År",
    fold: str = "",
    details: Iterable[str] = (),
    details_summary: str = "Om beløbene",
) -> HTML:
    """A budget table (index: years or months; columns: rounded amounts in the caption's unit) with its notes
    beneath, then the longer `details` (the rounding rule, the price basis), which a phone folds under
    `details_summary` (see phone_fold); with `fold`, the table and its notes in a fold (see folded). A table of at
    most three amounts a row stays a table on a phone, a wider one becomes one card per row."""
    frame = lines.rename_axis(index).reset_index()
    body = table(frame, {c: fmt.num for c in lines.columns}, caption=caption, narrow=len(lines.columns) <= 3).data
    body += "".join(f'<p class="sapa-note">{html.escape(n)}</p>' for n in notes if n)
    longer = "".join(f'<p class="sapa-note">{html.escape(n)}</p>' for n in details if n)
    body += phone_fold(details_summary, longer) if longer else ""
    return HTML(folded(fold, body) if fold else body)


def phone_fold(summary: str, inner_html: str) -> str:
    """HTML (already escaped) as it is on a screen and on paper, and on a phone folded under `summary`: a line that
    only a phone shows (the page's script shuts the fold there)."""
    summary = f"<summary>{html.escape(summary)}</summary>"
    return f'<details class="sapa-fold sapa-phone-fold" open>{summary}{inner_html}</details>'


def code(value) -> str:
    """A municipality code in a table ('101'), blank in a total row."""
    return "" if pd.isna(value) else str(int(value))


def status_note(params: ParameterSet, name: str) -> str:
    """' (antagelse)', ' (kalibreret fra fakturaer)' … after a value that is not a documented source; ''
    after one that is."""
    status = params[name].status
    return "" if status in ("sourced", "seed") else f" ({STATUS[status]})"


def data_vintage() -> str:
    """Short statement of the population data's range."""
    years = datasets.observed_population().columns
    return f"Danmarks Statistik, befolkning 1. januar {years.min()}-{years.max()}"


def key_figures(**figures) -> None:
    """Emit the notebook's key figures as JSON (not shown in reports) so tests can compare them with sapa_model."""
    plain = {
        k: (float(v) if hasattr(v, "__float__") and not isinstance(v, (int, str)) else v) for k, v in figures.items()
    }
    display({"application/json": plain}, raw=True, metadata={"application/json": {"sapa_key_figures": True}})
