"""The spreadsheet import framework shared by every ledger importer.

An importer (one per kind: regions, orgs, departments, members) declares its template columns,
validates one row at a time into an unsaved object, and saves the accepted objects. `run_import`
reads the file, collects every error with its Excel row, column, value and Chinese reason, and
writes either everything or, with `partial=True`, every valid row, inside one transaction.
"""

import abc
import datetime as dt
import gc
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from django.db import transaction

from .excel import Column, SheetFormatError, read_sheet, xlsx_bytes


@dataclass
class RowError:
    row: int | None
    column: str
    value: str
    reason: str


class RowInvalid(Exception):
    """Raised by an importer for one row; carries one or more errors for that row."""

    def __init__(self, *errors: tuple[str, object, str]):
        super().__init__(errors)
        self.errors = errors  # (column label, value, reason)


@dataclass
class ImportResult:
    kind: str
    total: int = 0
    imported: int = 0
    errors: list[RowError] = field(default_factory=list)
    record: object = None  # the ImportRecord written by core.services.do_import

    @property
    def rejected_rows(self) -> int:
        return len({e.row for e in self.errors})

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {
            "total": self.total,
            "imported": self.imported,
            "rejected": self.rejected_rows,
            "errors": [asdict(e) for e in self.errors],
        }

    def error_report(self) -> bytes:
        return error_report(self.total, self.rejected_rows, [asdict(e) for e in self.errors])


def error_report(total: int, rejected: int, errors: list[dict]) -> bytes:
    """The downloadable error report: one line per error with row, column, value and reason."""
    return xlsx_bytes(
        ["行号", "列", "值", "原因"],
        ([e["row"] or "", e["column"], e["value"], e["reason"]] for e in errors),
        sheet_name="错误报告",
        title=f"导入错误报告（共{total}行，拒绝{rejected}行）",
        widths=[8, 18, 28, 60],
    )


class Importer(abc.ABC):
    """Subclass per kind. `scope` is the importing user's Scope (None: the system, county-wide)."""

    kind: str = ""
    label: str = ""
    columns: Sequence[Column] = ()
    batch_size = 2000

    def __init__(self, scope=None, today: dt.date | None = None):
        self.scope = scope
        self.today = today or dt.date.today()

    def prepare(self, rows: list[tuple[int, dict]]) -> None:  # noqa: B027 - an optional hook
        """Load what validation needs in bulk (lookups by code, existing keys)."""

    @abc.abstractmethod
    def validate(self, row: int, values: dict):
        """Return an unsaved object, or raise RowInvalid."""

    @abc.abstractmethod
    def save(self, objects: list) -> int:
        """Write the accepted objects; return how many were written."""

    def template(self) -> bytes:
        return xlsx_bytes(
            [c.label + ("*" if c.required else "") for c in self.columns],
            [[c.example for c in self.columns]],
            sheet_name=self.label,
            title=f"{self.label}导入模板（带*为必填；标题行可删除）",
        )

    def column_label(self, field_name: str) -> str:
        return next(c.label for c in self.columns if c.field == field_name)


IMPORTERS: dict[str, type[Importer]] = {}


def register_importer(cls: type[Importer]) -> type[Importer]:
    IMPORTERS[cls.kind] = cls
    return cls


def run_import(importer: Importer, source, *, partial: bool = False) -> ImportResult:
    result = ImportResult(kind=importer.kind)
    try:
        sheet = read_sheet(source, importer.columns)
    except SheetFormatError as exc:
        result.errors.append(RowError(exc.row, exc.column, "", exc.reason))
        return result
    result.total = len(sheet.rows)
    if not sheet.rows:
        result.errors.append(RowError(sheet.header_row, "", "", "表头行下没有数据行"))
        return result
    collecting = gc.isenabled()
    gc.disable()  # hundreds of thousands of acyclic short-lived objects: keep the collector off the hot path
    try:
        return _validate_and_save(importer, sheet, result, partial)
    finally:
        if collecting:
            gc.enable()


def _validate_and_save(importer: Importer, sheet, result: ImportResult, partial: bool) -> ImportResult:
    importer.prepare(sheet.rows)
    accepted = []
    for row, values in sheet.rows:
        try:
            accepted.append(importer.validate(row, values))
        except RowInvalid as exc:
            for column, value, reason in exc.errors:
                result.errors.append(RowError(row, column, _text(value), reason))
    if result.errors and not partial:
        return result
    with transaction.atomic():
        result.imported = importer.save(accepted) if accepted else 0
    return result


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10]
    return str(value)
