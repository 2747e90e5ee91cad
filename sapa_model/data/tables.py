"""Tables a user supplies (a population forecast, invoices): CSV or XLSX, read defensively.

Every file is size-capped before it is read, decoded as UTF-8 (with or without the BOM Danish Excel
writes) or UTF-16, split on the separator its header uses (semicolon, comma or tab), and handed on as
text with its row numbers, so that each caller can list every bad row at once. Numbers are parsed by
`number()`, which accepts a decimal comma or point and refuses what could be read two ways.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

import pandas as pd

from ..errors import DataError, echo

MAX_BYTES = 5_000_000  # a forecast or an invoice list is a few kilobytes; this leaves room and bounds memory
MAX_ROWS = 50_000
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
    if not path.is_file():
        raise DataError(f"{what} {name} does not exist")
    if path.suffix.lower() not in SUFFIXES:
        raise DataError(
            f"{what} {name} is not a table this tool reads; save it as CSV (comma or semicolon separated) or XLSX"
        )
    if path.stat().st_size > MAX_BYTES:
        raise DataError(
            f"{what} {name} is larger than {MAX_BYTES // 1_000_000} MB; such a table has a few hundred rows"
        )
    rows = _xlsx_rows(path, what) if path.suffix.lower() == ".xlsx" else _csv_rows(path, what)
    rows = [r for r in rows if any(str(c).strip() for c in r)]
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
    if missing:
        raise DataError(
            f"{what} {name} needs the columns {', '.join(columns)}; missing: {', '.join(missing)} "
            f"(its header is {echo(', '.join(header))})"
        )
    body = [r + [""] * (len(header) - len(r)) for r in rows[1:]]
    frame = pd.DataFrame(
        {key: [str(r[i]).strip() if r[i] is not None else "" for r in body] for key, i in found.items()}
    )
    frame["row"] = range(2, len(body) + 2)
    return frame


def _text(path: Path, what: str) -> str:
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(f"{what} {path.name} is not UTF-8 text; in Excel save it as 'CSV UTF-8'") from None


def _csv_rows(path: Path, what: str) -> list[list[str]]:
    text = _text(path, what)
    first = text.split("\n", 1)[0]
    separator = max((";", ",", "\t"), key=first.count)
    try:
        return [row for row in csv.reader(io.StringIO(text), delimiter=separator)]
    except csv.Error as exc:
        raise DataError(f"{what} {path.name} cannot be read as CSV: {exc}") from None


def _xlsx_rows(path: Path, what: str) -> list[list]:
    import zipfile

    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise DataError(f"{what} {path.name} is not a readable XLSX workbook ({type(exc).__name__})") from None
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 2, max_col=30):
            rows.append(["" if v is None else v for v in row])
        return rows
    finally:
        workbook.close()
