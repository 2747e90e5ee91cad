"""Tables a user supplies (a population forecast, invoices): CSV or XLSX, read defensively.

Every file is read only if it is a regular file, and at most MAX_BYTES of it; a CSV is decoded as UTF-8 (with
or without the BOM Danish Excel writes) or UTF-16 and split on the separator its header uses (semicolon, comma
or tab), and a row with more fields than the header is refused (a value cut in two by the separator, typically a
decimal comma in a comma-separated file, would shift the fields after it); an XLSX is refused before any
spreadsheet parsing if it would unpack to more than XLSX_UNPACKED bytes or hold more than MAX_CELLS cells (counted
on its XML as it streams, stopping at the limit). The rows are handed on as text with their row numbers (a blank
row keeps its number, as a spreadsheet shows it), so that each caller can list every bad row at once. A file's
content is quoted in a message only once its header shows it is the table asked for. Numbers are parsed by
`number()`, which accepts a decimal comma or point and refuses what could be read two ways.
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
import zlib
from pathlib import Path
from xml.parsers import expat

import pandas as pd

from ..errors import DataError, counted, echo
from ..files import Unreadable, read_capped

MAX_BYTES = 5_000_000  # a forecast or an invoice list is a few kilobytes; this leaves room and bounds memory
MAX_ROWS = 50_000
MAX_CELLS = 10 * MAX_ROWS  # cells in all of an XLSX file's sheets
XLSX_UNPACKED = 4 * MAX_BYTES  # bytes all parts of an XLSX file may unpack to
XLSX_PARTS = 1_000  # parts (files) in an XLSX file
SUFFIXES = (".csv", ".txt", ".xlsx")


def number(text: object) -> float:
    """A number from what a user typed: '370000', '370000.0', '1.234,50', '1,234.50', '1 234', '2,5'.

    A thousands separator is accepted only where the text cannot be read another way: '370.000' (370 or
    370 000?) and '1,786' (1,786 or 1 786?) raise ValueError saying so. Non-finite values are refused.
    """
    if isinstance(text, bool):
        raise ValueError(f"{echo(text)} is not a number")
    if isinstance(text, (int, float)):
        value = float(text)
    else:
        raw = str(text).strip()
        plain = re.sub(r"[ \u00a0\u202f']", "", raw)  # spaces (also non-breaking) and apostrophes group digits
        if not re.fullmatch(r"[+-]?[0-9.,]+", plain) or not re.search(r"[0-9]", plain):
            raise ValueError(f"{echo(raw)} is not a number")
        sign, digits = ("-" if plain.startswith("-") else ""), plain.lstrip("+-")
        if "." in digits and "," in digits:
            decimal = "." if digits.rfind(".") > digits.rfind(",") else ","
            grouping = "," if decimal == "." else "."
            whole, _, fraction = digits.rpartition(decimal)
            if not re.fullmatch(rf"[0-9]{{1,3}}(\{grouping}[0-9]{{3}})*", whole) or not fraction.isdigit():
                raise ValueError(f"{echo(raw)} mixes separators in a way that is not a number")
            digits = whole.replace(grouping, "") + "." + fraction
        elif re.fullmatch(r"[1-9][0-9]{0,2}([.,][0-9]{3})+", digits):
            separator = "." if "." in digits else ","
            if digits.count(separator) > 1:  # '1.234.567': only a thousands separator repeats
                digits = digits.replace(separator, "")
            else:
                raise ValueError(
                    f"{echo(raw)} is ambiguous ({digits.replace(separator, '')} or a decimal "
                    "number?); write it without a thousands separator"
                )
        elif digits.count(".") + digits.count(",") > 1:
            raise ValueError(f"{echo(raw)} is not a number")
        value = float(sign + digits.replace(",", "."))
    if not math.isfinite(value):
        raise ValueError(f"{echo(text)} is not a finite number")
    return value


def whole_number(text: object) -> int:
    """A whole number (a population, a year): as number(), and refused unless it has no fraction."""
    value = number(text)
    if not value.is_integer():
        raise ValueError(f"{echo(text)} is not a whole number")
    return int(value)


def read_user_table(
    path: str | Path, columns: dict[str, tuple[str, ...]], what: str, optional: dict[str, tuple[str, ...]] | None = None
) -> pd.DataFrame:
    """A user's CSV or XLSX file as text columns named as in `columns` (each with the other headings it
    may have, e.g. {'year': ('år', 'aar')}), plus 'row' (the row number a spreadsheet shows).

    DataError names the file and says what would be right: a missing file, the wrong kind, too large,
    not UTF-8, empty, or without the required columns.
    """
    path = Path(path)
    name = path.name
    if path.suffix.lower() not in SUFFIXES:
        raise DataError(
            f"{what} {name} is not a table this tool reads; save it as CSV (comma or semicolon separated) or XLSX"
        )
    try:
        data = read_capped(path, MAX_BYTES, what, "; such a table has a few hundred rows")
    except Unreadable as exc:
        raise DataError(str(exc)) from None
    read = _xlsx_rows(data, name, what) if path.suffix.lower() == ".xlsx" else _csv_rows(data, name, what)
    numbers, rows = _filled(read)
    if not rows:
        raise DataError(f"{what} {name} is empty; it needs a header row with the columns {', '.join(columns)}")
    if len(rows) > MAX_ROWS:
        raise DataError(f"{what} {name} has more than {MAX_ROWS} rows")
    header = [str(c).strip().lower().lstrip("\ufeff") for c in rows[0]]
    wanted = {**columns, **(optional or {})}
    found = {}
    for key, others in wanted.items():
        for heading in (key, *others):
            if heading in header:
                found[key] = header.index(heading)
                break
    missing = [key for key in columns if key not in found]
    if missing:  # its header is shown only if it is one of a table of this kind: no other file's line is quoted
        shown = f" (its header is {echo(', '.join(header))})" if found else " in its first row"
        raise DataError(f"{what} {name} needs the columns {', '.join(columns)}; missing: {', '.join(missing)}{shown}")
    body = [r + [""] * (len(header) - len(r)) for r in rows[1:]]
    frame = pd.DataFrame(
        {key: [str(r[i]).strip() if r[i] is not None else "" for r in body] for key, i in found.items()}
    )
    frame["row"] = numbers[1:]
    return frame


def _filled(rows: list[list]) -> tuple[list[int], list[list]]:
    """The rows that hold anything, and their numbers as a spreadsheet shows them (a blank row keeps its number)."""
    numbered = [(number, row) for number, row in enumerate(rows, start=1) if any(str(c).strip() for c in row)]
    return [number for number, _ in numbered], [row for _, row in numbered]


def _check_widths(rows: list[list[str]], separator: str, name: str, what: str) -> None:
    """DataError naming the first row with more fields than the header (and how many more there are): a value cut
    in two by the separator (a decimal comma in a comma-separated file) would shift the fields after it, silently."""
    numbers, filled = _filled(rows)
    if not filled:
        return
    width = len(filled[0])
    long = [(number, len(row)) for number, row in zip(numbers[1:], filled[1:]) if len(row) > width]
    if not long:
        return
    (first, fields), others = long[0], len(long) - 1
    also = f" ({counted(others, 'other row has', 'other rows have')} more than {width} too)" if others else ""
    hint = (
        "a decimal comma in a comma-separated file? Separate with ; or put the amount in quotes"
        if separator == ","
        else f"{'a tab' if separator == chr(9) else 'a ' + separator} inside a value? Put that value in quotes"
    )
    raise DataError(f"{what} {name}: row {first} has {fields} fields, the header {width}{also}: {hint}")


def _text(data: bytes, name: str, what: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise DataError(f"{what} {name} is not UTF-16 text, though it starts as such") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(f"{what} {name} is not UTF-8 text; in Excel save it as 'CSV UTF-8'") from None


def _csv_rows(data: bytes, name: str, what: str) -> list[list[str]]:
    text = _text(data, name, what)
    first = text.split("\n", 1)[0]
    separator = max((";", ",", "\t"), key=first.count)
    try:
        rows = [row for row in csv.reader(io.StringIO(text), delimiter=separator)]
    except csv.Error as exc:
        raise DataError(f"{what} {name} cannot be read as CSV: {exc}") from None
    _check_widths(rows, separator, name, what)
    return rows


class _TooMuch(Exception):
    """An XLSX part holds more than a table needs, or something a table never holds (a DTD)."""


def check_xlsx(data: bytes, name: str, what: str) -> None:
    """Refuse, before any spreadsheet parsing, an XLSX file that would unpack to more than XLSX_UNPACKED bytes
    (the sizes its index declares, which unpacking never exceeds), has more than XLSX_PARTS parts, holds more
    than MAX_CELLS cells (counted on its XML as it streams, stopping at the limit), declares a DTD or entities,
    or whose XML is cut off or damaged. DataError says which."""
    cells = 0

    def element(tag: str, _attributes) -> None:
        nonlocal cells
        if tag.rpartition(" ")[2] == "c":  # a cell, in any namespace
            cells += 1
            if cells > MAX_CELLS:
                raise _TooMuch(
                    f"has more than {MAX_CELLS:,} cells; a table of this kind has a few thousand".replace(",", ".")
                )

    def declaration(*_) -> None:
        raise _TooMuch("declares a DTD or entities, which a spreadsheet does not need")

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            unpacked = sum(part.file_size for part in parts)
            if len(parts) > XLSX_PARTS or unpacked > XLSX_UNPACKED:
                raise _TooMuch(
                    f"unpacks to more than {XLSX_UNPACKED // 1_000_000} MB (or {XLSX_PARTS} parts); a table of this "
                    "kind unpacks to a few hundred kilobytes"
                )
            for part in parts:
                if not part.filename.lower().endswith((".xml", ".rels", ".vml")):
                    continue
                parser = expat.ParserCreate(namespace_separator=" ")
                parser.StartElementHandler = element
                parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = declaration
                with archive.open(part) as stream:
                    while chunk := stream.read(1 << 16):
                        parser.Parse(chunk, False)
                parser.Parse(b"", True)
    except _TooMuch as exc:
        raise DataError(f"{what} {name} {exc}") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError, OSError):
        raise DataError(f"{what} {name} is not a readable XLSX workbook; save it again from Excel as .xlsx") from None
    except expat.ExpatError:
        raise DataError(f"{what} {name} is damaged (its XML is cut off or broken); save it again from Excel") from None


def _xlsx_rows(data: bytes, name: str, what: str) -> list[list]:
    import openpyxl

    check_xlsx(data, name, what)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            return [
                ["" if v is None else v for v in row]
                for row in sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 2, max_col=30)
            ]
        finally:
            workbook.close()
    except Exception as exc:  # openpyxl raises many kinds for a file that is valid XML but no workbook
        raise DataError(f"{what} {name} is not a readable XLSX workbook ({type(exc).__name__})") from None
