from django.urls import path

from . import views

urlpatterns = [
    path("departments/", views.DepartmentListView.as_view(), name="department-list"),
    path("", views.UnitListView.as_view(), name="unit-list"),
]
