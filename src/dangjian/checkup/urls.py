from django.urls import path

from . import views

urlpatterns = [
    path("", views.report_page, name="checkup-report"),
    path("run/", views.run_now, name="checkup-run"),
    path("findings/", views.FindingListView.as_view(), name="checkup-findings"),
    path("findings/<int:pk>/", views.finding_detail, name="checkup-finding"),
    path("calendar/", views.calendar_page, name="checkup-calendar"),
    path("rules/", views.rules_page, name="checkup-rules"),
    path("rules/<str:rule_id>/", views.rule_edit, name="checkup-rule-edit"),
]
