from django.urls import path

from . import views

urlpatterns = [
    path("meetings/", views.MeetingListView.as_view(), name="meeting-list"),
    path("meetings/add/", views.meeting_add, name="meeting-add"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting-detail"),
    path("meetings/<int:pk>/edit/", views.meeting_edit, name="meeting-edit"),
    path("dues/", views.dues_sheet, name="dues-sheet"),
]
