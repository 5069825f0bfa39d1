"""Domain-free writes: running a registered import, writing an export (both audited), the holiday schedule."""

from django.db import transaction

from .audit import acting, record_access
from .excel import write_xlsx
from .imports import IMPORTERS, ImportResult, run_import
from .models import CalendarDay, ImportRecord
from .scope import user_scope


class UnknownImport(ValueError):
    pass


def do_import(kind: str, source, *, actor=None, partial: bool = False, filename: str = "") -> ImportResult:
    """Import a spreadsheet of `kind` for `actor` (None: the system, county-wide), all-or-nothing by default.

    The result keeps its ImportRecord (result.record) so a page can offer the error report later.
    """
    if kind not in IMPORTERS:
        raise UnknownImport(f"未知的导入类型“{kind}”，可选：{'、'.join(IMPORTERS)}")
    if actor is not None and user_scope(actor, "import").empty:
        raise PermissionError("您没有导入权限")
    importer = IMPORTERS[kind](scope=user_scope(actor, "import") if actor is not None else None)
    with acting(actor):
        result = run_import(importer, source, partial=partial)
    summary = {"total": result.total, "imported": result.imported, "rejected": result.rejected_rows}
    record_access("import", object_type=kind, object_repr=filename or kind, count=result.imported, user=actor,
                  detail={**summary, "partial": partial})
    result.record = ImportRecord.objects.create(
        kind=kind, user=actor if getattr(actor, "is_authenticated", False) else None, filename=filename[:255],
        partial=partial, errors=result.as_dict()["errors"], **summary,
    )  # fmt: skip
    return result


def do_export(target, *, actor, object_type: str, headers, rows, title: str, unmasked: bool = False) -> int:
    """Write rows to an xlsx workbook and audit the export (who, what, how many, masked or not)."""
    count = write_xlsx(target, headers, rows, sheet_name=title, title=title)
    record_access(
        "export", object_type=object_type, object_repr=title, count=count, user=actor, detail={"unmasked": unmasked}
    )
    return count


class CalendarError(ValueError):
    pass


@transaction.atomic
def do_set_calendar_day(*, actor, date, is_workday: bool, name: str = ""):
    """Enter (or correct) one official rest day or make-up working day."""
    if actor is not None and not actor.can("configure"):
        raise CalendarError("只有县级管理员可以录入节假日安排")
    with acting(actor):
        day, _ = CalendarDay.objects.update_or_create(date=date, defaults={"is_workday": is_workday,
                                                                           "name": (name or "")[:50]})
    return day


@transaction.atomic
def do_delete_calendar_day(*, actor, day) -> None:
    if actor is not None and not actor.can("configure"):
        raise CalendarError("只有县级管理员可以录入节假日安排")
    with acting(actor):
        day.delete()
