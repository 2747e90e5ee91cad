"""The live scenario explorer (ipywidgets): move the knee, the prices and the delays, see every municipality.

`Explorer().root` is the widget tree; every change recomputes all 98 municipalities and updates the
outputs. The controls map one to one onto scenario overrides, so "Gem scenarie" writes a scenario YAML
that `load_scenario` and `sapa reports --scenario` accept and that reproduces the figures shown.
Displayed where no kernel runs (a static HTML export), it shows the baseline results instead.
"""

from __future__ import annotations

import html
import os
import re
import urllib.parse
from pathlib import Path

import ipywidgets as w
import numpy as np
import pandas as pd

from ..analysis.budget import default_budget_year
from ..analysis.compare import less, more, national, person_years
from ..analysis.knee import effective_price_curve
from ..data import datasets
from ..data.tables import MAX_BYTES
from ..engine import compute, default_years, infrastructure_first_year, last_model_year
from ..errors import SapaError, ScenarioError, echo
from ..files import (
    PARTIAL,
    Unreadable,
    in_tree,
    inside,
    owner,
    read_capped,
    safe_name,
    scenario_folder,
    write_text,
)
from ..parameters import baseline
from ..scenarios import BASELINE, Scenario, load_scenario, scenario_from_data
from ..views import charts, fmt
from ..views.labels import EVENT, PROJECTION
from ..views.presentation import banner, provenance_text
from ..views.presentation import table as html_table
from ..views.svg import price_curve_svg
from ..views.tables import lines_table

PRICE_YEARS = list(default_years())
SLIDERS = {  # parameter -> (label, (minimum, maximum, step))
    "sapa.knee.threshold": ("SAPA: knækgrænse (indbyggere)", charts.KNEE_SLIDERS["threshold"]),
    "sapa.knee.rate": ("SAPA: knæksats (andel)", charts.KNEE_SLIDERS["rate"]),
    "infrastructure.knee.threshold": ("Infrastruktur: knækgrænse", charts.KNEE_SLIDERS["threshold"]),
    "infrastructure.knee.rate": ("Infrastruktur: knæksats", charts.KNEE_SLIDERS["rate"]),
}
SHARE = "sapa.infrastructure_share"
SHARE_RANGE = (0.0, 10.0, 0.25)  # kr. per inhabitant a year
DELAY_RANGE = (0, 36, 1)  # months an event can be delayed with its slider
FORECASTS = "prognoser"  # the forecasts' subfolder of the scenarios folder
SCENARIO_FILES = ("", (".yaml", ".yml"))  # (subfolder of the scenarios folder, suffixes) the dropdowns list
FORECAST_FILES = (FORECASTS, (".csv", ".xlsx"))
FORECAST = "projection.forecast_file"
STYLE = {"description_width": "initial"}  # labels whole (the page wraps them above their control)
LAYOUT = w.Layout(width="100%", max_width="520px")
TABS = ("Vindere og tabere", "Valgte kommuner", "Hele landet", "Pris pr. indbygger")  # the first opens
LINK_LIMIT = 4000  # characters a link to a scenario may have
NUMBER = re.compile(r"-?[0-9]{1,9}(\.[0-9]{1,6})?")  # how a number is written in a link: 100000, 0.35


def _latest_value(name: str):
    """The baseline's latest value of a parameter (None if it has none)."""
    parameter = baseline()[name]
    return parameter.values[-1] if parameter.values else None


def _slider(label: str, value, low, high, step) -> w.Widget:
    """A slider in the explorer's style: whole numbers when the step is one, updated on release, with the
    Danish readout added by with_readout."""
    kind, number = (w.IntSlider, int) if isinstance(step, int) else (w.FloatSlider, float)
    return kind(
        value=number(value),
        min=low,
        max=high,
        step=step,
        description=label,
        style=STYLE,
        layout=LAYOUT,
        continuous_update=False,
        readout=False,
    )


def with_readout(slider: w.Widget, show) -> w.HBox:
    """A slider with its value written beside it in Danish formats (ipywidgets' own readout is English)."""
    readout = w.HTML(show(slider.value))
    readout.add_class("sapa-readout")
    slider.observe(lambda change: setattr(readout, "value", show(change["new"])), names="value")
    return w.HBox([slider, readout], layout=w.Layout(width="100%", align_items="center"))


def readout(name: str):
    """How a control's value is written: 100.000 (inhabitants), 50 % (a share), 3,00 kr."""
    unit = baseline()[name].unit
    return {"andel": lambda v: fmt.pct(v, 0), "indbyggere": fmt.num}.get(unit, lambda v: fmt.kr(v, 2))


class Explorer:
    """Controls, outputs and the scenario they make."""

    def __init__(self, scenario: Scenario | str | Path | None = None, link: str = ""):
        self.sliders = {name: _slider(label, _latest_value(name), *steps) for name, (label, steps) in SLIDERS.items()}
        self.share = _slider(
            f"Infrastrukturandel taget ud af SAPA-prisen fra {infrastructure_first_year(baseline())} (kr.)",
            _latest_value(SHARE),
            *SHARE_RANGE,
        )
        self.method = w.ToggleButtons(
            options=[("Udledt (samlet pris stiger ikke)", "derived"), ("Indtastet pr. år", "given")],
            value="derived",
            description="SAPA-pris",
            style=STYLE,
        )
        self.prices = {
            y: w.BoundedFloatText(
                value=0.0, min=0, max=1000, step=0.01, description=str(y), layout=w.Layout(width="160px"), disabled=True
            )
            for y in PRICE_YEARS
        }
        self.delays = {e: _slider(f"{label} (mdr. forsinket)", 0, *DELAY_RANGE) for e, label in EVENT.items()}
        self.projection = w.Dropdown(
            options=[
                (PROJECTION[m][:1].upper() + PROJECTION[m][1:], m)
                for m in baseline()["projection.method"].allowed or ()
            ],
            value=_latest_value("projection.method"),
            description="Befolkningsfremskrivning",
            style=STYLE,
            layout=LAYOUT,
        )
        self.forecast = w.Dropdown(
            options=self._files(*FORECAST_FILES),
            value="",
            description="Egen befolkningsprognose",
            style=STYLE,
            layout=LAYOUT,
        )
        self.upload = w.FileUpload(accept=".csv,.xlsx", multiple=False, description="Hent prognose op")
        self.forecast_button = w.Button(description="Brug prognose")
        self.years = w.IntRangeSlider(
            value=(PRICE_YEARS[0], PRICE_YEARS[-1]),
            min=PRICE_YEARS[0],
            max=last_model_year(baseline()),
            description="År",
            style=STYLE,
            layout=LAYOUT,
            continuous_update=False,
        )
        names = sorted(datasets.municipalities()["kommune"], key=fmt.sort_key)
        self.region = w.Dropdown(
            options=[("Hele landet", "")] + [(r, r) for r in datasets.REGIONS],
            value="",
            description="Region",
            style=STYLE,
        )
        self.selection = w.SelectMultiple(
            options=names, value=("Aarhus", "Læsø"), rows=6, description="Kommuner", style=STYLE
        )
        self.name = w.Text(value="Mit scenarie", description="Navn", style=STYLE, layout=LAYOUT)
        self.description = w.Textarea(value="", description="Beskrivelse", style=STYLE, layout=LAYOUT)
        self.file_name = w.Text(value="mit_scenarie", description="Filnavn", style=STYLE, layout=LAYOUT)
        self.overwrite = w.Checkbox(value=False, description="Overskriv en fil med samme navn", style=STYLE)
        self.saved = w.Dropdown(
            options=self._files(*SCENARIO_FILES), description="Gemte scenarier", style=STYLE, layout=LAYOUT
        )
        self.save_button, self.load_button = (
            w.Button(description="Gem scenarie"),
            w.Button(description="Indlæs scenarie"),
        )
        self.status, self.banner, self.provenance = w.HTML(), w.HTML(), w.HTML()
        self.summary, self.share_link = w.HTML(), w.HTML()
        self.totals, self.selected, self.changes, self.curve = w.HTML(), w.HTML(), w.HTML(), w.HTML()
        self._stale: set[str] = set()  # the outputs not drawn since the last change (drawn when their tab opens)
        self._scenario: Scenario = BASELINE
        self._change = pd.DataFrame()
        self.table: pd.DataFrame | None = None
        self.calibration: tuple = ()  # invoices of a loaded scenario; the values they fix are not controls
        self.extra: dict = {}  # a loaded scenario's overrides that no control shows (kept as they are)
        self._baseline_tables: dict[tuple, pd.DataFrame] = {}
        self._quiet = False

        for control in self._controls():
            control.observe(self._changed, names="value")
        self.method.observe(self._toggle_prices, names="value")
        self.forecast_button.on_click(lambda _: self._changed())
        self.upload.observe(self._uploaded, names="value")
        self.save_button.on_click(lambda _: self._save_clicked())
        self.load_button.on_click(lambda _: self._load_clicked())
        self.root = self._layout()
        self.tabs.observe(lambda _: self._draw_stale(), names="selected_index")
        self.name.observe(lambda _: self._show_link(), names="value")
        if scenario is not None:
            self.load(scenario)
        if link:
            self.open_link(link)
        elif scenario is None:
            self.update()

    # -- the controls and the scenario they make -------------------------------------------------------

    def _controls(self) -> list[w.Widget]:
        return [
            *self.sliders.values(),
            self.share,
            self.method,
            *self.prices.values(),
            *self.delays.values(),
            self.projection,
            self.years,
            self.region,
            self.selection,
        ]

    def overrides(self) -> dict:
        """The scenario's parameter overrides: only the values that differ from the baseline."""
        result: dict = dict(self.extra)
        for name, slider in self.sliders.items():
            if slider.value != _latest_value(name) and not slider.disabled:  # disabled: the invoices fix it
                result[name] = slider.value
        if self.share.value != _latest_value(SHARE):
            result[SHARE] = {f"{infrastructure_first_year(baseline())}-01-01": float(self.share.value)}
        if self.method.value == "given":
            result["sapa.price.method"] = "given"
            result["sapa.price.per_inhabitant"] = {f"{y}-01-01": float(box.value) for y, box in self.prices.items()}
        for event, slider in self.delays.items():
            if slider.value:
                result[f"old_model.events.{event}.delay"] = int(slider.value)
        if self.projection.value != _latest_value("projection.method"):
            result["projection.method"] = self.projection.value
        if self.forecast.value:  # a path relative to the scenarios folder: prognoser/x.csv, or x.csv beside scenarios
            result[FORECAST] = str(in_tree(scenario_folder(), self.forecast.value))
        return result

    def scenario(self, forecast: Path | None = None) -> Scenario:
        """The scenario the controls describe (validated); `forecast`: with that forecast file instead."""
        overrides = self.overrides() | ({FORECAST: str(forecast)} if forecast else {})
        return scenario_from_data(
            {
                "name": self.name.value.strip() or "Mit scenarie",
                "description": self.description.value,
                "parameters": overrides,
                "calibration": [o.as_data() for o in self.calibration],
            }
        )

    def load(self, scenario: Scenario | str | Path) -> None:
        """Set every control from a scenario (file or object), then recompute once."""
        scenario = load_scenario(scenario, within=scenario_folder())
        params = scenario.params
        solved = scenario.calibrated.parameters if scenario.calibrated else {}
        self._quiet = True
        try:
            self.calibration = scenario.calibration  # kept as it is: the invoices, not controls
            for name, slider in self.sliders.items():
                slider.value = params[name].values[-1]
                slider.disabled = name in solved
            self.share.value = float(params[SHARE].values[-1])
            given = params.value("sapa.price.method") == "given"
            if given:
                january = np.array([np.datetime64(f"{y}-01-01") for y in PRICE_YEARS])
                for year, value in zip(PRICE_YEARS, params.series("sapa.price.per_inhabitant", january)):
                    self.prices[year].value = float(value)
            self.method.value = "given" if given else "derived"
            for event, slider in self.delays.items():
                slider.value = int(params.value(f"old_model.events.{event}.delay"))
            self.projection.value = params.value("projection.method")
            self.forecast.value = self._forecast_choice(params.value(FORECAST))
            self.extra = {k: v for k, v in scenario.parameters.items() if k not in self._controlled()}
            self.name.value, self.description.value = scenario.name, scenario.description
        finally:
            self._quiet = False
        self.update()

    def save(self, name: str, overwrite: bool = False) -> Path:
        """Write the current scenario as YAML (only what differs from the baseline) to the scenarios folder,
        under a cleaned-up version of `name`; an existing file only with `overwrite`."""
        path = self._scenario_file(name, ".yaml")
        if path.exists() and not overwrite:
            raise ScenarioError(
                f"{scenario_folder().name}/{path.name} findes allerede; vælg et andet navn eller "
                "sæt kryds ved 'Overskriv'"
            )
        write_text(path, self.scenario().to_yaml(folder=scenario_folder()))
        self.saved.options = self._files(*SCENARIO_FILES)
        return path

    def load_saved(self, name: str) -> None:
        """Set the controls from a scenario file in the scenarios folder (by its file name)."""
        self.load(self._scenario_file(name))

    @staticmethod
    def _scenario_file(name: str, suffix: str = "") -> Path:
        """A file in the scenarios folder named by what a user gave (with `suffix`: first cleaned up into a file
        name ending so); ScenarioError if it is no usable name or not inside the folder."""
        try:
            return inside(scenario_folder(), safe_name(name, suffix) if suffix else name)
        except ValueError as exc:
            raise ScenarioError(str(exc)) from None

    @staticmethod
    def _files(sub: str, suffixes: tuple[str, ...]) -> list[tuple[str, str]]:
        """(label, value) of the files in the scenarios folder (or a subfolder) with one of the suffixes; the value
        is the path relative to the scenarios folder (x.yaml, prognoser/y.csv)."""
        folder = scenario_folder() / sub
        names = (
            sorted(
                p.name
                for p in folder.glob("*")
                if p.suffix.lower() in suffixes and p.is_file() and not p.name.startswith(".")
            )
            if folder.is_dir()
            else []
        )
        return ([("(ingen)", "")] if sub else []) + [(n, f"{sub}/{n}" if sub else n) for n in names]

    def _forecast_choice(self, path: str) -> str:
        """The forecast dropdown's value for a scenario's forecast file: its path relative to the scenarios folder,
        added to the choices if it lies elsewhere in the folder (e.g. beside the scenario); '' for none."""
        if not path:
            return ""
        value = Path(os.path.relpath(os.path.realpath(path), os.path.realpath(scenario_folder()))).as_posix()
        if value not in [v for _, v in self.forecast.options]:
            self.forecast.options = [*self.forecast.options, (value, value)]
        return value

    def _controlled(self) -> set[str]:
        """The parameters the controls set."""
        return {
            *self.sliders,
            SHARE,
            "sapa.price.method",
            "sapa.price.per_inhabitant",
            "projection.method",
            FORECAST,
            *(f"old_model.events.{e}.delay" for e in self.delays),
        }

    def _uploaded(self, change) -> None:
        """Check an uploaded forecast, keep it in the scenarios folder's forecast folder and use it."""
        for item in change["new"] or ():
            try:
                path, note = self.keep_forecast(str(item["name"]), bytes(item["content"]))
            except (SapaError, ValueError, OSError) as exc:
                self.status.value = self._error(exc)
                return
            self.forecast.options = self._files(*FORECAST_FILES)
            self.forecast.value = self._forecast_choice(str(path))
            self.update()
            if note and not self.status.value:
                self.status.value = f"<p>{html.escape(note)}</p>"

    def keep_forecast(self, name: str, content: bytes) -> tuple[Path, str]:
        """An uploaded forecast, checked with the current settings (ScenarioError lists its problems; nothing is
        kept), kept in the forecast folder under its cleaned-up name, or, if another file has that name, the next
        free one (an existing file is never replaced; the same file again is used as it is). Returns the path and
        a note for the user when the name changed."""
        clean = safe_name(name, Path(name).suffix.lower() or ".csv")
        if Path(clean).suffix not in FORECAST_FILES[1] or len(content) > MAX_BYTES:
            raise ValueError(f"a forecast is a CSV or XLSX file of at most {MAX_BYTES // 1_000_000} MB")
        folder = scenario_folder() / FORECASTS
        folder.mkdir(parents=True, exist_ok=True)
        trial = inside(folder, f".{clean}.{owner()}{PARTIAL}{Path(clean).suffix}")
        try:
            trial.write_bytes(content)
            self.scenario(forecast=trial)  # its problems, listed, before anything is kept
            stem, suffix = Path(clean).stem, Path(clean).suffix
            for number in range(1, 1000):
                path = inside(folder, clean if number == 1 else f"{stem}-{number}{suffix}")
                try:
                    os.link(trial, path)  # fails if the name is taken: no other file is ever replaced
                except FileExistsError:
                    if _same_bytes(path, content):
                        return path, ""
                    continue
                moved = f"{FORECASTS}/{clean} findes allerede og er ikke ændret; prognosen er gemt som {path.name}."
                return path, "" if number == 1 else moved
            raise ValueError(f"there are too many forecasts named {clean}; rename the file")
        finally:
            trial.unlink(missing_ok=True)

    # -- reacting to the user ----------------------------------------------------------------------------

    def _toggle_prices(self, change) -> None:
        for box in self.prices.values():
            box.disabled = change["new"] != "given"
        if change["new"] == "given" and not any(box.value for box in self.prices.values()) and self.table is not None:
            self._quiet = True  # start from the derived prices, so switching changes nothing until edited
            for year, box in self.prices.items():
                box.value = round(self.table.attrs["sapa_price"].get(year, 0.0), 2)
            self._quiet = False

    def _changed(self, *_) -> None:
        if not self._quiet:
            self.update()

    def _save_clicked(self) -> None:
        try:
            path = self.save(self.file_name.value, overwrite=self.overwrite.value)
            shown = html.escape(f"{scenario_folder().name}/{path.name}")
            self.status.value = (
                f"<p>Scenariet er gemt i <code>{shown}</code>. Byg rapporterne med "
                f"<code>sapa reports --scenario {shown}</code>.</p>"
            )
        except (SapaError, OSError) as exc:
            self.status.value = self._error(exc)

    def _load_clicked(self) -> None:
        try:
            self.load_saved(self.saved.value or "")
        except (SapaError, OSError) as exc:
            self.status.value = self._error(exc)

    @staticmethod
    def _error(exc: Exception | str) -> str:
        return (
            f'<p style="color:#9b1c1c;white-space:pre-wrap">{html.escape(str(exc))}</p>'
            "<p>De viste tal er fra sidste gyldige indstilling.</p>"
        )

    # -- recomputing -------------------------------------------------------------------------------------

    def _baseline(self, years: tuple[int, ...]) -> pd.DataFrame:
        if years not in self._baseline_tables:
            self._baseline_tables[years] = compute(None, years)
        return self._baseline_tables[years]

    def update(self) -> None:
        """Recompute all 98 municipalities for the current controls and refresh every output."""
        years = tuple(range(self.years.value[0], self.years.value[1] + 1))
        try:
            scenario = self.scenario()
            table = compute(scenario, years)
        except SapaError as exc:
            self.status.value = self._error(exc)
            return
        self.table, self.status.value, self._scenario = table, "", scenario
        self.banner.value = banner(scenario, table).data
        shown = scenario if scenario.parameters or scenario.calibration else BASELINE  # unchanged: the baseline
        self.provenance.value = f"<p><em>{html.escape(provenance_text(shown))}</em></p>"
        self._change = change_against(bare(table), bare(self._baseline(years)))
        self.summary.value = self._summary_html(self._change)
        self._show_link()
        self._stale = set(TABS)
        self._draw_stale()

    def _show_link(self) -> None:
        """The link that reopens the current settings (see link())."""
        query = html.escape(self.link(), quote=True)
        self.share_link.value = (
            f'<p><a href="?{query}" target="_blank" rel="noopener">Link til dette scenarie</a>: åbner '
            "udforskeren med de samme indstillinger (kopier det for at dele det).</p>"
        )

    def _draw_stale(self) -> None:
        """Draw the open tab's output if it is not drawn for the current figures (the others wait for their tab:
        a slider move redraws only what is seen)."""
        if self.table is None:
            return
        tab = TABS[self.tabs.selected_index or 0]
        if tab not in self._stale:
            return
        self._stale.discard(tab)
        table = bare(self.table)
        if tab == "Hele landet":
            self.totals.value = self._totals_html(table, self._scenario)
        elif tab == "Valgte kommuner":
            self.selected.value = self._selection_html(table)
        elif tab == "Vindere og tabere":
            self.changes.value = self._changes_html(self._change)
        else:
            self.curve.value = self._curve_html(self.table, self._scenario)

    def draw_all(self) -> None:
        """Draw every output now (as a page without a kernel shows them all)."""
        for index in range(len(TABS)):
            self.tabs.selected_index = index
        self.tabs.selected_index = 0

    @staticmethod
    def _summary_html(change: pd.DataFrame) -> str:
        """One line that answers what the settings change: who pays more and who less than in the baseline."""
        up, down = change[more(change["change"])], change[less(change["change"])]
        if up.empty and down.empty:
            return '<p class="sapa-summary"><strong>Som basis:</strong> ingen kommune betaler anderledes.</p>'
        parts = [f"<strong>{len(up)} kommuner betaler mere, {len(down)} mindre</strong> end i basis"]
        per = change.sort_values("per_inhabitant")  # most and least per inhabitant: what a municipality feels
        for rows, word in (
            (per[more(per["change"])].tail(1), "mest mere"),
            (per[less(per["change"])].head(1), "mest mindre"),
        ):
            for row in rows.itertuples():
                parts.append(
                    f"{word}: {html.escape(row.kommune)} ({fmt.signed_kr(row.per_inhabitant, 2)} pr. indbygger pr. år)"
                )
        return f'<p class="sapa-summary">{"; ".join(parts)} (ny model, alle betalinger).</p>'

    # -- a link that reopens the scenario -----------------------------------------------------------------

    def link(self) -> str:
        """The current settings as a link's query (what differs from the start, the years, the area)."""
        given = [
            (name, _plain(value))
            for name, value in self.overrides().items()
            if not isinstance(value, dict) and name != FORECAST
        ]
        if self.forecast.value:  # by its place in the scenarios folder, never by a path on this machine
            given.append(("prognose", self.forecast.value))
        if self.share.value != _latest_value(SHARE):
            given.append((SHARE, _plain(self.share.value)))
        if self.method.value == "given":
            given += [(f"pris.{y}", _plain(box.value)) for y, box in self.prices.items()]
        given.append(("aar", f"{self.years.value[0]}-{self.years.value[1]}"))
        if self.region.value:
            given.append(("region", self.region.value))
        codes = datasets.municipalities().set_index("kommune")["kommunekode"]
        given.append(("kommuner", ",".join(str(codes[n]) for n in self.selection.value)))
        if self.name.value.strip() and self.name.value.strip() != "Mit scenarie":
            given.append(("navn", self.name.value.strip()))
        return urllib.parse.urlencode(given)

    def open_link(self, query: str) -> None:
        """Set the controls from a link made by link(), then recompute once. A link is typed text: anything
        that is not a setting the explorer knows, in the form it writes it, is refused with a message (and the
        controls keep their values); the scenario it makes is validated as any scenario is."""
        try:
            settings = _read_link(query)
            self._quiet = True
            for key, value in settings.items():
                self._set_from_link(key, value)
        except (ValueError, KeyError) as exc:
            self._quiet = False
            self.update()
            self.status.value = self._error(f"Linket kunne ikke læses: {exc}")
            return
        finally:
            self._quiet = False
        self.update()

    def _set_from_link(self, key: str, value: str) -> None:
        def put(control: w.Widget) -> None:  # a number within the control's range (a widget would clamp it)
            number = _number(key, value)
            if not control.min <= number <= control.max:
                raise ValueError(f"{echo(key)} skal være mellem {_plain(control.min)} og {_plain(control.max)}")
            control.value = int(number) if isinstance(control.value, int) else number

        event = key.split(".")[2] if key.startswith("old_model.events.") and key.endswith(".delay") else ""
        if key in self.sliders:
            put(self.sliders[key])
        elif key == SHARE:
            put(self.share)
        elif event in self.delays:
            put(self.delays[event])
        elif key == "sapa.price.method" and value in ("derived", "given"):
            self.method.value = value
        elif key.startswith("pris.") and key[5:].isdigit() and int(key[5:]) in self.prices:
            put(self.prices[int(key[5:])])
        elif key == "projection.method" and value in dict(self.projection.options).values():
            self.projection.value = value
        elif key == "aar" and re.fullmatch(r"[0-9]{4}-[0-9]{4}", value):
            first, last = (int(v) for v in value.split("-"))
            if not self.years.min <= first <= last <= self.years.max:
                raise ValueError(f"årene {first}-{last} ligger uden for {self.years.min}-{self.years.max}")
            self.years.value = (first, last)
        elif key == "region" and value in datasets.REGIONS:
            self.region.value = value
        elif key == "kommuner" and re.fullmatch(r"[0-9]{1,3}(,[0-9]{1,3}){0,97}", value):
            names = datasets.municipalities()["kommune"]
            self.selection.value = tuple(names[int(c)] for c in value.split(",") if int(c) in names.index)
        elif key == "navn" and len(value) <= 120:
            self.name.value = value
        elif key == "prognose" and value in [v for _, v in self.forecast.options if v]:
            self.forecast.value = value
        else:
            raise ValueError(f"ukendt indstilling {echo(key)}={echo(value)}")

    @staticmethod
    def _totals_html(table: pd.DataFrame, scenario: Scenario | None = None) -> str:
        wide = national(table).pivot_table(index="year", columns=["model", "component"], values="amount_dkk")
        lines = lines_table(wide).rename_axis("År").reset_index()
        derived = scenario is None or scenario.params.value("sapa.price.method") == "derived"
        note = (
            "<p><em>Den nye models SAPA-pris er udledt, så kommunerne tilsammen betaler det samme som efter den gamle "
            "model: hele landets beløb ændrer sig ikke, når knækket flyttes. Det gør fordelingen mellem kommunerne "
            "(se Vindere og tabere og Valgte kommuner).</em></p>"
            if derived
            else ""
        )
        return (
            note
            + html_table(
                lines, {c: fmt.kr for c in lines.columns[1:]}, caption="Hele landet pr. år, kr. (ny og gammel model)"
            ).data
        )

    def _selection_html(self, table: pd.DataFrame) -> str:
        rows = (
            table[table["region"] == self.region.value]
            if self.region.value
            else table[table["kommune"].isin(self.selection.value)]
        )
        if rows.empty:
            return "<p>Vælg en eller flere kommuner eller en region.</p>"
        sums = rows.pivot_table(
            index="kommune", columns=["model", "component"], values="amount_dkk", aggfunc="sum", observed=True
        )
        lines = lines_table(sums).reset_index().rename(columns={"kommune": "Kommune"})
        span = f"{self.years.value[0]}-{self.years.value[1]}"
        return html_table(
            lines, {c: fmt.kr for c in lines.columns[1:]}, caption=f"Valgte kommuner, summen over {span}, kr."
        ).data

    @staticmethod
    def _changes_html(change: pd.DataFrame) -> str:
        if not (more(change["change"]) | less(change["change"])).any():
            return "<p>Ingen kommune betaler anderledes end i basis efter den nye model.</p>"
        shown = pd.concat([change.head(5), change.tail(5)]).drop_duplicates("kommune")
        shown = shown.rename(
            columns={"kommune": "Kommune", "change": "Ændring", "per_inhabitant": "Pr. indbygger pr. år"}
        )
        return html_table(
            shown[["Kommune", "Ændring", "Pr. indbygger pr. år"]],
            {"Ændring": fmt.signed_kr, "Pr. indbygger pr. år": lambda v: fmt.signed_kr(v, 2)},
            caption="Største ændringer mod basis (ny model, alle betalinger); + betaler mere",
        ).data

    @staticmethod
    def _curve_html(table: pd.DataFrame, scenario: Scenario) -> str:
        year = min(default_budget_year(), int(table["year"].max()))  # the budget year, if computed
        params, day = scenario.params, f"{year}-01-01"
        knees = {"SAPA": params.value("sapa.knee.threshold", day)}
        if year >= infrastructure_first_year(params):
            knees["Infrastruktur"] = params.value("infrastructure.knee.threshold", day)
        curve, points = effective_price_curve(table, year, scenario, points_on_curve=60)
        return price_curve_svg(curve, points, knees, f"Pris pr. indbygger efter kommunens størrelse, {year}")

    # -- showing it ---------------------------------------------------------------------------------------

    def _layout(self) -> w.Widget:
        prices = w.GridBox(list(self.prices.values()), layout=w.Layout(grid_template_columns="repeat(4, 170px)"))
        controls = w.Accordion(
            children=[
                w.VBox([with_readout(s, readout(n)) for n, s in self.sliders.items()]),
                w.VBox([self.method, prices, with_readout(self.share, readout(SHARE))]),
                w.VBox([with_readout(s, lambda v: f"{v} mdr.") for s in self.delays.values()]),
                w.VBox([self.projection, w.HBox([self.forecast, self.forecast_button]), self.upload, self.years]),
                w.VBox([self.region, self.selection]),
                w.VBox(
                    [
                        self.name,
                        self.description,
                        self.file_name,
                        self.overwrite,
                        self.save_button,
                        self.saved,
                        self.load_button,
                    ]
                ),
            ],
            titles=(
                "Knæk",
                "SAPA-pris",
                "Forsinkelser i monopolbruddet",
                "Befolkning og år",
                "Kommuner",
                "Gem eller indlæs scenarie",
            ),
        )
        controls.selected_index = 0
        outputs = {"Hele landet": self.totals, "Valgte kommuner": self.selected, "Vindere og tabere": self.changes}
        self.tabs = w.Tab(children=[outputs.get(t, self.curve) for t in TABS], titles=TABS)
        results = w.VBox([self.status, self.summary, self.tabs, self.share_link], layout=w.Layout(width="100%"))
        results.add_class("sapa-explorer-results")
        controls.add_class("sapa-explorer-controls")
        body = w.HBox([controls, results], layout=w.Layout(width="100%"))
        body.add_class("sapa-explorer")
        return w.VBox([self.banner, body, self.provenance])

    def static_html(self) -> str:
        """What a reader without a kernel sees: the current (baseline) results, no controls."""
        self.draw_all()
        return (
            "<p><em>Statisk visning: tallene for basisscenariet. I den levende scenarieudforsker kan "
            "forudsætningerne ændres.</em></p>"
            + self.banner.value
            + self.totals.value
            + self.curve.value
            + self.provenance.value
        )

    def _repr_mimebundle_(self, **kwargs) -> dict:
        bundle = self.root._repr_mimebundle_(**kwargs) or {}
        return {**bundle, "text/html": self.static_html()}


def bare(table: pd.DataFrame) -> pd.DataFrame:
    """The table without its attrs (what each row rests on), which pandas would copy at every step: the
    explorer's tables need only the amounts."""
    view = table.copy(deep=False)
    view.attrs = {}
    return view


def _plain(value) -> str:
    """A number as a link writes it: 100000, 0.35."""
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _number(key: str, text: str) -> float:
    """A number from a link, written as link() writes it; ValueError names the setting otherwise."""
    if not NUMBER.fullmatch(text):
        raise ValueError(f"{echo(key)} skal være et tal, ikke {echo(text)}")
    return float(text)


def _read_link(query: str) -> dict[str, str]:
    """The settings in a link's query, each once; ValueError if it is too long or not a query."""
    query = query.lstrip("?")
    if len(query) > LINK_LIMIT:
        raise ValueError(f"linket er over {LINK_LIMIT} tegn")
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True, max_num_fields=80)
    settings = dict(pairs)
    if len(settings) != len(pairs):
        raise ValueError("en indstilling står flere gange")
    return settings


def _same_bytes(path: Path, content: bytes) -> bool:
    """True when a file holds exactly these bytes."""
    try:
        return read_capped(path, len(content)) == content
    except Unreadable:
        return False


def change_against(table: pd.DataFrame, base: pd.DataFrame) -> pd.DataFrame:
    """Per municipality: the change in its new-model total (all components, kr.) against another table,
    and per inhabitant per year; sorted from the largest increase to the largest decrease."""
    pick = lambda t: t[t["model"] == "new"].groupby("kommunekode")["amount_dkk"].sum()
    result = datasets.municipalities()[["kommune"]].assign(change=pick(table) - pick(base))
    result["per_inhabitant"] = result["change"] / person_years(table)
    return result.reset_index().sort_values("change", ascending=False, ignore_index=True)
