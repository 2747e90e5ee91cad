"""What every notebook and report shows around its figures: the banner of illustrative parameters,
the scenario, the provenance, and tables in Danish formats."""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Callable, Iterable, Mapping

import pandas as pd
from IPython.display import HTML, Markdown, display

from ..data import datasets
from ..data.population import last_observed_year
from ..parameters import Parameter
from ..scenarios import Scenario
from ..version import __version__
from . import fmt
from .labels import PROJECTION, SEED_DECK, STATUS


def describe_value(parameter: Parameter) -> str:
    """A parameter's values in Danish: '16,00 kr./indbygger/år' or '0 fra 2019, 3,00 fra 2020 (kr./...)'."""

    def one(value) -> str:
        if parameter.unit == "andel":
            return fmt.pct(value, 0 if (100 * value).is_integer() else 1)
        if isinstance(value, float):
            return fmt.num(value, 0 if value.is_integer() else 2)
        if isinstance(value, dt.date):
            return fmt.date(value)
        return PROJECTION.get(value, value) or "ingen"

    unit = "" if parameter.unit in ("andel", "dato", "metode", "fil") else f" {parameter.unit}"
    if not parameter.values:
        return "ingen værdi"
    if len(parameter.values) == 1:
        return f"{one(parameter.values[0])}{unit}"
    steps = ", ".join(f"{one(v)} fra {d.astype(object).year}" for d, v in zip(parameter.dates, parameter.values))
    return f"{steps} ({unit.strip()})" if unit else steps


def _parameter_list(parameters: Iterable[Parameter]) -> str:
    items = "".join(
        f"<li><strong>{html.escape(p.label)}</strong>: {html.escape(describe_value(p))} "
        f"<code>{html.escape(p.name)}</code></li>"
        for p in parameters
    )
    return f"<ul>{items}</ul>"


_BOX = "border:2px solid;border-radius:6px;padding:0.6em 1em;margin:0.8em 0;background:"


def banner(scenario: Scenario, table: pd.DataFrame) -> HTML:
    """A visible box naming the illustrative parameters the figures depend on, and those carried forward."""
    params = scenario.params
    illustrative = [params[n] for n in table.attrs.get("illustrative", [])]
    extrapolated = [params[n] for n in table.attrs.get("extrapolated", [])]
    parts = []
    if illustrative:
        parts.append(
            f'<div class="sapa-banner sapa-banner-illustrative" role="note" style="{_BOX}#fff4d6;border-color:#d9a400">'
            "<strong>Illustrative tal.</strong> "
            "Beløbene bygger på pladsholdere, ikke på KOMBITs rigtige priser, som ikke er offentlige her. "
            "Brug dem til at forstå modellerne og forskellene mellem dem, ikke som budgettal. "
            "Indtast de rigtige tal i en scenariefil (se <code>scenarios/kombit_prices_template.yaml</code>). "
            f"Pladsholderne er:{_parameter_list(illustrative)}</div>"
        )
    if extrapolated:
        parts.append(
            f'<div class="sapa-banner sapa-banner-extrapolated" role="note" style="{_BOX}#eef3f8;border-color:#7a9cc0">'
            "<strong>Videreførte priser.</strong> "
            "For de senere år bruges den sidst kendte værdi af: "
            f"{_parameter_list(extrapolated)}</div>"
        )
    return HTML("".join(parts))


def heading(title: str, introduction: str, scenario: Scenario, table: pd.DataFrame) -> None:
    """Open a report: the title and introduction, then the banner of illustrative parameters."""
    display(Markdown(f"# {title}\n\n{introduction}"))
    display(banner(scenario, table))


def scenario_box(scenario: Scenario) -> Markdown:
    """The scenario's name, description and every parameter value that differs from the baseline."""
    changed = scenario.changed()
    lines = [f"**Scenarie:** {scenario.name}. {scenario.description}"]
    if changed:
        lines.append("\n**Ændret i forhold til basis:**\n")
        lines += [
            f"- {scenario.params[n].label}: {describe_value(scenario.params[n])} "
            f"(status: {STATUS[scenario.params[n].status]})"
            for n in changed
        ]
    else:
        lines.append("Ingen parametre er ændret i forhold til basis.")
    return Markdown("\n".join(lines))


def build_date() -> dt.date:
    """The date a report is built: SOURCE_DATE_EPOCH if set (reproducible builds), else today."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date() if epoch else dt.date.today()


def provenance_text(scenario: Scenario) -> str:
    """Which scenario, data vintage, package version and build date produced the figures (plain text)."""
    source = f" (fil: {os.path.basename(scenario.source)})" if scenario.source else ""
    return (
        f"Beregnet med sapa-budget {__version__} den {fmt.date(build_date())}. Scenarie: {scenario.name}{source}. "
        f"Befolkning 1. januar fra Danmarks Statistik (FOLK1A/FOLK1AM), observeret 2013-{last_observed_year()}, "
        f"derefter fremskrevet ({PROJECTION[scenario.params.value('projection.method')]}). Bølgeplan fra {SEED_DECK}. Kilder og status for hver parameter: sapa_model/parameters/."
    )


def provenance(scenario: Scenario) -> Markdown:
    """The provenance line, in italics, for a notebook or report."""
    return Markdown(f"*{provenance_text(scenario)}*")


def table(frame: pd.DataFrame, formats: Mapping[str, Callable] | None = None, caption: str | None = None) -> HTML:
    """A DataFrame as an HTML table with Danish number formats per column and no index."""
    formats = dict(formats or {})
    body = frame.to_html(
        index=False, formatters=formats, escape=True, border=0, classes="sapa-table", na_rep="–", justify="left"
    )
    if caption:
        body = body.replace(">\n  <thead>", f">\n  <caption>{html.escape(caption)}</caption>\n  <thead>", 1)
    return HTML(f'<div class="sapa-scroll">{body}</div>')


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
