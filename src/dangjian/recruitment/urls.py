from django.urls import path

from . import views

urlpatterns = [
    path("", views.CaseListView.as_view(), name="recruitment-list"),
    path("add/", views.case_add, name="recruitment-add"),
    path("<int:pk>/", views.case_detail, name="recruitment-detail"),
    path("<int:pk>/steps/<int:step>/", views.step_record, name="recruitment-step"),
    path("<int:pk>/training/", views.training_add, name="recruitment-training"),
    path("<int:pk>/stop/", views.case_stop, name="recruitment-stop"),
    path("documents/<int:pk>/", views.document, name="recruitment-document"),
    path("rulesets/", views.ruleset_list, name="recruitment-rulesets"),
    path("rulesets/<int:pk>/", views.ruleset_edit, name="recruitment-ruleset-edit"),
]
