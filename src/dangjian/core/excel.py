"""Spreadsheet reading (python-calamine: xlsx, xls, ods) and writing (XlsxWriter)."""

import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import python_calamine
import xlsxwriter

SUPPORTED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
HEADER_SCAN_ROWS = 20
_SPACES = re.compile(r"[\s\u3000\u00a0]+")


@dataclass(frozen=True)
class Column:
    """One column of an import template: the field it fills, its header and the headers accepted for it."""

    field: str
    label: str
    synonyms: tuple[str, ...] = ()
    required: bool = False
    example: str = ""

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.label, *self.synonyms)


class SheetFormatError(ValueError):
    """The file as a whole cannot be read (not a spreadsheet, no header row, a required column missing)."""

    def __init__(self, reason: str, row: int | None = None, column: str = ""):
        super().__init__(reason)
        self.reason, self.row, self.column = reason, row, column


@dataclass
class Sheet:
    header_row: int  # as Excel numbers rows, 1-based
    columns: dict[str, int]  # field → column index
    rows: list[tuple[int, dict[str, object]]] = field(default_factory=list)


def clean(value):
    """Strip surrounding ASCII, full-width and non-breaking spaces from text; leave other values alone."""
    if isinstance(value, str):
        return value.strip().strip("\u3000\u00a0").strip()
    return value


def _normal_header(value) -> str:
    return _SPACES.sub("", str(value or "")).strip("*＊:：").strip()


def open_rows(source) -> list[list]:
    """All rows of the first sheet, index i being Excel row i + 1. `source` is a path, bytes or a file."""
    try:
        if isinstance(source, str | Path):
            workbook = python_calamine.CalamineWorkbook.from_path(str(source))
        else:
            data = source if isinstance(source, bytes) else source.read()
            workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        return sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises several kinds for a damaged or foreign file
        raise SheetFormatError(f"无法读取文件：不是有效的 xlsx、xls 或 ods 表格（{type(exc).__name__}）") from exc


def read_sheet(source, columns: Sequence[Column]) -> Sheet:
    """Find the header row (title rows above it are allowed), map headers to fields, return the data rows.

    Blank rows are dropped; text cells are stripped of surrounding (also full-width) spaces.
    """
    raw = open_rows(source)
    lookup = {_normal_header(h): c.field for c in columns for h in c.headers}
    header_index = None
    mapping: dict[str, int] = {}
    for index, row in enumerate(raw[:HEADER_SCAN_ROWS]):
        found = {}
        for col, cell in enumerate(row):
            name = _normal_header(cell)
            if name in lookup and lookup[name] not in found:
                found[lookup[name]] = col
        if len(found) >= min(2, len(columns)):
            header_index, mapping = index, found
            break
    if header_index is None:
        expected = "、".join(c.label for c in columns if c.required) or "、".join(c.label for c in columns)
        raise SheetFormatError(f"未找到表头行：前{HEADER_SCAN_ROWS}行中没有包含“{expected}”等列名的行")
    for column in columns:
        if column.required and column.field not in mapping:
            raise SheetFormatError(
                f"缺少必填列“{column.label}”（可用列名：{'、'.join(column.headers)}）",
                row=header_index + 1,
                column=column.label,
            )
    sheet = Sheet(header_row=header_index + 1, columns=mapping)
    for index in range(header_index + 1, len(raw)):
        row = raw[index]
        values = {f: clean(row[c]) if c < len(row) else "" for f, c in mapping.items()}
        if all(v is None or v == "" for v in values.values()):
            continue
        sheet.rows.append((index + 1, values))
    return sheet


def write_xlsx(
    target,
    headers: Sequence[str],
    rows: Iterable[Sequence],
    *,
    sheet_name: str = "Sheet1",
    title: str | None = None,
    widths: Sequence[int] | None = None,
) -> int:
    """Write one sheet in constant memory; return the number of data rows. `target` is a path or a buffer."""
    workbook = xlsxwriter.Workbook(target, {"constant_memory": True, "in_memory": not isinstance(target, str | Path)})
    sheet = workbook.add_worksheet(sheet_name[:31])
    bold = workbook.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    text = workbook.add_format({"num_format": "@"})
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    r = 0
    if title:
        sheet.merge_range(0, 0, 0, max(len(headers) - 1, 0), title, workbook.add_format({"bold": True, "font_size": 14, "align": "center"}))
        r = 1
    for col, header in enumerate(headers):
        sheet.set_column(col, col, (widths[col] if widths else max(10, len(header) * 2 + 2)), text)
        sheet.write_string(r, col, header, bold)
    count = 0
    for values in rows:
        r += 1
        count += 1
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            if hasattr(value, "isoformat") and not isinstance(value, str):
                sheet.write_datetime(r, col, _as_datetime(value), date)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                sheet.write_number(r, col, value)
            else:
                sheet.write_string(r, col, str(value))
    workbook.close()
    return count


def _as_datetime(value):
    import datetime as dt

    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return dt.datetime(value.year, value.month, value.day)


def xlsx_bytes(headers: Sequence[str], rows: Iterable[Sequence], **kwargs) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(buffer, headers, rows, **kwargs)
    return buffer.getvalue()


def iter_chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def as_code(value) -> str:
    """A code cell as text: numeric cells lose their '.0', inner spaces are removed."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"[\s\u3000]", "", str(value or ""))
