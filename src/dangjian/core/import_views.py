"""Import pages: upload with progress, the per-row error table, the error report and the templates."""

from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import path

from .excel import SUPPORTED_SUFFIXES
from .imports import IMPORTERS, error_report
from .models import ImportRecord
from .services import do_import
from .views import xlsx_response

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
CRUMBS = [{"label": "数据导入", "url": "/imports/"}]


def _importer(kind):
    if kind not in IMPORTERS:
        raise Http404("未知的导入类型")
    return IMPORTERS[kind]


def _require_import(user):
    if not user.can("import"):
        raise Http404("您没有导入权限")


@login_required
def import_index(request):
    _require_import(request.user)
    return render(request, "core/import_index.html", {
        "title": "数据导入", "importers": IMPORTERS.values(),
        "records": ImportRecord.objects.filter(user=request.user)[:20],
        "breadcrumbs": [{"label": "数据导入"}],
    })  # fmt: skip


@login_required
def import_page(request, kind):
    _require_import(request.user)
    importer = _importer(kind)
    context = {"title": f"导入{importer.label}", "importer": importer, "kind": kind,
               "breadcrumbs": [*CRUMBS, {"label": importer.label}]}  # fmt: skip
    if request.method == "POST":
        upload = request.FILES.get("file")
        error = None
        if upload is None:
            error = "请选择要导入的文件"
        elif Path(upload.name).suffix.lower() not in SUPPORTED_SUFFIXES:
            error = f"不支持的文件类型“{Path(upload.name).suffix}”：请上传 xlsx、xls 或 ods 文件"
        elif upload.size > MAX_UPLOAD_BYTES:
            error = "文件超过50MB，请拆分后导入"
        if error:
            context["upload_error"] = error
        else:
            result = do_import(kind, upload.read(), actor=request.user, partial=request.POST.get("partial") == "on",
                               filename=upload.name)
            context["result"] = result
            context["record"] = result.record
        template = "core/_import_result.html" if request.headers.get("HX-Request") else "core/import_page.html"
        return render(request, template, context)
    return render(request, "core/import_page.html", context)


@login_required
def import_template(request, kind):
    importer = _importer(kind)
    return xlsx_response(importer().template(), f"{importer.label}导入模板.xlsx")


@login_required
def import_report(request, pk):
    record = get_object_or_404(ImportRecord, pk=pk, user=request.user)
    data = error_report(record.total, record.rejected, record.errors)
    return xlsx_response(data, f"导入错误报告-{record.pk}.xlsx")


def import_urls():
    return [
        path("", import_index, name="import-index"),
        path("<str:kind>/", import_page, name="import-page"),
        path("<str:kind>/template/", import_template, name="import-template"),
        path("records/<int:pk>/report/", import_report, name="import-report"),
    ]

