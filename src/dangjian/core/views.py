"""Generic, thin page views shared by every app."""

import io
from urllib.parse import quote, urlencode

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from .pagination import CursorError, keyset_page
from .services import do_export


class ObjectListView(LoginRequiredMixin, View):
    """A list page declared as queryset + filterset + columns, with pagination and xlsx export.

    Pages are keyset pages in the queryset's ordering (core.pagination): "next / previous" links carry a signed
    cursor, the total is counted up to a cap ("10,000+" beyond it), and the export takes every filtered row.
    A cursor that was altered or belongs to other filters gives the first page with status 400 and says why."""

    model = None
    filterset_class = None
    columns: list = []
    title = ""
    breadcrumbs: list = []
    select_related: tuple = ()
    paginate_by = 50
    export_object_type = ""
    template_name = "core/object_list.html"

    def get_queryset(self, action="view"):
        return self.model.objects.restrict(self.request.user, action).select_related(*self.select_related)

    def get_actions(self):
        return []

    def get(self, request):
        export = request.GET.get("export") == "xlsx"
        qs = self.get_queryset("export" if export else "view")
        filterset = self.filterset_class(request.GET, queryset=qs, request=request) if self.filterset_class else None
        if filterset is not None:
            qs = filterset.qs
        if export:
            return self.export(qs)
        status, cursor_error = 200, ""
        try:
            page = keyset_page(qs, request.GET, self.paginate_by)
        except CursorError as exc:
            status, cursor_error = 400, f"{exc}，已显示第一页。"
            params = request.GET.copy()
            params.pop("cursor", None)
            page = keyset_page(qs, params, self.paginate_by)
        params = request.GET.copy()
        for name in ("page", "export", "cursor"):
            params.pop(name, None)
        query = params.urlencode()
        return render(request, self.template_name, {
            "title": self.title,
            "breadcrumbs": [*self.breadcrumbs, {"label": self.title}],
            "filter": filterset,
            "columns": self.columns,
            "rows": [[c.cell(obj) for c in self.columns] for obj in page.object_list],
            "page_obj": page,
            "page_query": f"{query}&" if query else "",
            "export_query": (f"{query}&" if query else "") + urlencode({"export": "xlsx"}),
            "can_export": bool(self.export_object_type) and request.user.can("export"),
            "actions": self.get_actions(),
            "cursor_error": cursor_error,
        }, status=status)  # fmt: skip

    def export_table(self, qs):
        """(headers, rows, unmasked) for the export; pages with personal data override this."""
        return [c.label for c in self.columns], ([c.export_value(o) for c in self.columns] for o in qs.iterator()), False

    def export(self, qs):
        headers, rows, unmasked = self.export_table(qs)
        buffer = io.BytesIO()
        do_export(buffer, actor=self.request.user, object_type=self.export_object_type, headers=headers,
                  rows=rows, title=self.title, unmasked=unmasked)
        return xlsx_response(buffer.getvalue(), f"{self.title}-{timezone.localdate():%Y%m%d}.xlsx")


def xlsx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def _reason(exception) -> str:
    """The message of an Http404 / PermissionDenied when it is one of ours (Chinese), else ''."""
    message = exception.args[0] if exception is not None and exception.args else ""
    return message if isinstance(message, str) and any("\u4e00" <= ch <= "\u9fff" for ch in message) else ""


def page_not_found(request, exception=None):
    """404 in the site's layout, with the reason the view gave (e.g. “不在您的权限范围内”)."""
    return render(request, "404.html", {"reason": _reason(exception), "request_path": request.path}, status=404)


def permission_denied(request, exception=None):
    return render(request, "403.html", {"reason": _reason(exception)}, status=403)
