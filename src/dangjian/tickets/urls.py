from django.urls import path

from . import views

urlpatterns = [
    path("", views.TicketListView.as_view(), name="ticket-list"),
    path("queue/", views.queue, name="ticket-queue"),
    path("queue/dispatch/", views.bulk_dispatch, name="ticket-bulk-dispatch"),
    path("inbox/", views.AssignmentInboxView.as_view(), name="ticket-inbox"),
    path("report/", views.report, name="ticket-report"),
    path("mine/", views.mine, name="ticket-mine"),
    path("visits/", views.visits, name="ticket-visits"),
    path("map/", views.ticket_map, name="ticket-map"),
    path("metrics/", views.metrics_page, name="ticket-metrics"),
    path("dispatches/", views.DispatchListView.as_view(), name="ticket-dispatches"),
    path("assessment/", views.assessment_page, name="ticket-assessment"),
    path("categories/", views.CategoryListView.as_view(), name="ticket-categories"),
    path("categories/add/", views.category_edit, name="ticket-category-add"),
    path("categories/<int:pk>/edit/", views.category_edit, name="ticket-category-edit"),
    path("settings/", views.policy_edit, name="ticket-policy"),
    path("photos/<int:pk>/", views.photo, name="ticket-photo"),
    path("<int:pk>/", views.detail, name="ticket-detail"),
    path("<int:pk>/<str:name>/", views.act, name="ticket-act"),
]
