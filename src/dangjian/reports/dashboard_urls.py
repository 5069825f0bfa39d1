"""Routes of the dashboards (included under /reports/ next to reports/urls.py)."""

from django.urls import path

from . import dashboard_views as views

urlpatterns = [
    path("dashboard/", views.dashboard_page, name="dashboard"),
    path("dashboard/data/", views.dashboard_json, name="dashboard-data"),
    path("dashboard/map/", views.grid_map_json, name="dashboard-map"),
    path("dashboard/ranking.xlsx", views.ranking_export, name="dashboard-ranking-export"),
    path("bigscreen/", views.bigscreen, name="bigscreen"),
]
