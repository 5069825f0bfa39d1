from django.urls import path

from . import views

urlpatterns = [
    path("tables/", views.stat_tables, name="report-tables"),
    path("records/", views.records, name="report-records"),
]
