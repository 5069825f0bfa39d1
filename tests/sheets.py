"""Write real spreadsheet files (.xlsx, .xls, .ods) for import tests.

A sheet is a list of rows; a row is a list of cells. A cell may be a str (a text cell), an int or float
(a numeric cell), a datetime.date / datetime.datetime (a date cell with a yyyy-mm-dd format) or None /
"" (an empty cell). An empty row ([] or None) is written as a blank row. `title` puts a title row above
everything, merged across the width of the widest row, as county rosters usually have
("某某党支部党员花名册").

    path = write(tmp_path, "members", [HEADER, [...], [], [...]], fmt="ods", title="东风村党支部党员花名册")
"""

import datetime as dt
import io
import json
from collections.abc import Sequence
from pathlib import Path

FORMATS = ("xlsx", "xls", "ods")
BLANK: list = []


def _width(rows: Sequence[Sequence | None]) -> int:
    return max((len(r) for r in rows if r), default=1)


def _is_empty(value) -> bool:
    return value is None or value == ""


def _as_datetime(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return dt.datetime(value.year, value.month, value.day)


def write_xlsx(path, rows, *, title: str | None = None, engine: str = "openpyxl") -> Path:
    """Write with openpyxl (default) or XlsxWriter (`engine="xlsxwriter"`)."""
    path = Path(path)
    width = _width(rows)
    if engine == "xlsxwriter":
        import xlsxwriter

        book = xlsxwriter.Workbook(str(path))
        sheet = book.add_worksheet("Sheet1")
        date_format = book.add_format({"num_format": "yyyy-mm-dd"})
        r = 0
        if title is not None:
            if width > 1:
                sheet.merge_range(
                    0, 0, 0, width - 1, title, book.add_format({"bold": True, "align": "center"})
                )
            else:
                sheet.write_string(0, 0, title)
            r = 1
        for row in rows:
            for c, value in enumerate(row or ()):
                if _is_empty(value):
                    continue
                if isinstance(value, dt.date):
                    sheet.write_datetime(r, c, _as_datetime(value), date_format)
                elif isinstance(value, int | float) and not isinstance(value, bool):
                    sheet.write_number(r, c, value)
                else:
                    sheet.write_string(r, c, str(value))
            r += 1
        book.close()
        return path

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    r = 1
    if title is not None:
        sheet.cell(row=1, column=1, value=title)
        if width > 1:
            sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
        r = 2
    for row in rows:
        for c, value in enumerate(row or (), start=1):
            if _is_empty(value):
                continue
            cell = sheet.cell(row=r, column=c)
            if isinstance(value, dt.date):
                cell.value = _as_datetime(value) if isinstance(value, dt.datetime) else value
                cell.number_format = "yyyy-mm-dd"
            else:
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"  # never let openpyxl guess a formula or a number
        r += 1
    book.save(path)
    return path


def write_xls(path, rows, *, title: str | None = None) -> Path:
    import xlwt

    path = Path(path)
    width = _width(rows)
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet1")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    r = 0
    if title is not None:
        if width > 1:
            sheet.write_merge(0, 0, 0, width - 1, title)
        else:
            sheet.write(0, 0, title)
        r = 1
    for row in rows:
        for c, value in enumerate(row or ()):
            if _is_empty(value):
                continue
            if isinstance(value, dt.date):
                sheet.write(r, c, _as_datetime(value), date_style)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                sheet.write(r, c, value)
            else:
                sheet.write(r, c, str(value))
        r += 1
    book.save(str(path))
    return path


def write_ods(path, rows, *, title: str | None = None) -> Path:
    from odf.number import DateStyle, Day, Month, Text, Year
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.style import Style
    from odf.table import CoveredTableCell, Table, TableCell, TableColumn, TableRow
    from odf.text import P

    path = Path(path)
    width = _width(rows)
    doc = OpenDocumentSpreadsheet()
    date_style = DateStyle(name="isodate")
    date_style.addElement(Year(style="long"))
    date_style.addElement(Text(text="-"))
    date_style.addElement(Month(style="long"))
    date_style.addElement(Text(text="-"))
    date_style.addElement(Day(style="long"))
    doc.automaticstyles.addElement(date_style)
    date_cell_style = Style(name="datecell", family="table-cell", datastylename="isodate")
    doc.automaticstyles.addElement(date_cell_style)

    table = Table(name="Sheet1")
    table.addElement(TableColumn(numbercolumnsrepeated=width))

    def text_cell(text, **kwargs):
        cell = TableCell(valuetype="string", **kwargs)
        cell.addElement(P(text=str(text)))
        return cell

    if title is not None:
        row = TableRow()
        if width > 1:
            row.addElement(text_cell(title, numbercolumnsspanned=width))
            for _ in range(width - 1):
                row.addElement(CoveredTableCell())
        else:
            row.addElement(text_cell(title))
        table.addElement(row)
    for values in rows:
        row = TableRow()
        if not values:
            row.addElement(TableCell(numbercolumnsrepeated=width))
        for value in values or ():
            if _is_empty(value):
                row.addElement(TableCell())
            elif isinstance(value, dt.date):
                day = value.date() if isinstance(value, dt.datetime) else value
                cell = TableCell(valuetype="date", datevalue=day.isoformat(), stylename=date_cell_style)
                cell.addElement(P(text=day.isoformat()))
                row.addElement(cell)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                cell = TableCell(valuetype="float", value=repr(value))
                cell.addElement(P(text=str(value)))
                row.addElement(cell)
            else:
                row.addElement(text_cell(value))
        table.addElement(row)
    doc.spreadsheet.addElement(table)
    doc.save(str(path))
    return path


WRITERS = {"xlsx": write_xlsx, "xls": write_xls, "ods": write_ods}


def write(directory, name: str, rows, *, fmt: str = "xlsx", title: str | None = None) -> Path:
    """Write `rows` to directory/name.fmt in the given format; return the path."""
    if fmt not in WRITERS:
        raise ValueError(f"unknown format {fmt!r}, expected one of {FORMATS}")
    return WRITERS[fmt](Path(directory) / f"{name}.{fmt}", rows, title=title)


def read_xlsx(path) -> list[list]:
    """All rows of the first sheet of an xlsx file as values (openpyxl, so independent of the product)."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


def call_import(kind: str, path, *args: str) -> tuple[int, dict]:
    """`dangjian import KIND PATH --format json ARGS…` through call_command: (exit status, parsed JSON)."""
    from django.core.management import call_command

    out = io.StringIO()
    status = 0
    try:
        call_command("import", kind, str(path), "--format", "json", *args, stdout=out)
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    text = out.getvalue().strip()
    return status, json.loads(text)
