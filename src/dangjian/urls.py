from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from dangjian.accounts.views import LoginView
from dangjian.core import calendar_views
from dangjian.core.import_views import import_urls

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", RedirectView.as_view(url=static("dangjian/favicon.svg"), permanent=True)),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("orgs/", include("dangjian.orgs.urls")),
    path("members/", include("dangjian.members.urls")),
    path("regions/", include("dangjian.places.urls")),
    path("units/", include("dangjian.units.urls")),
    path("tickets/", include("dangjian.tickets.urls")),
    path("branchlife/", include("dangjian.branchlife.urls")),
    path("reports/", include("dangjian.reports.urls")),
    path("reports/briefing/", include("dangjian.reports.briefing_urls")),
    path("reports/", include("dangjian.reports.dashboard_urls")),
    path("recruitment/", include("dangjian.recruitment.urls")),
    path("checkup/", include("dangjian.checkup.urls")),
    path("notifications/", views.notifications, name="notification-list"),
    path("system/calendar/", calendar_views.calendar_days, name="calendar-days"),
    path("system/calendar/<int:pk>/delete/", calendar_views.calendar_day_delete, name="calendar-day-delete"),
    path("imports/", include(import_urls())),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("api/v1/", include(("dangjian.api_urls", "api"))),
]

handler404 = "dangjian.core.views.page_not_found"
handler403 = "dangjian.core.views.permission_denied"
