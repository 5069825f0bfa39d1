"""DRF settings hooks: pagination and Chinese error bodies (no viewset imports: DRF loads this at import)."""

from django.http import Http404
from rest_framework import exceptions, pagination
from rest_framework.views import exception_handler as drf_exception_handler


class Pagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("未找到，或不在您的权限范围内。")
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"detail": str(response.data["detail"]), "code": getattr(response.data["detail"], "code", "")}
    return response


