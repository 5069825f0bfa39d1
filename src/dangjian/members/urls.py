from django.urls import path

from . import views

urlpatterns = [
    path("", views.MemberListView.as_view(), name="member-list"),
    path("<int:pk>/", views.member_detail, name="member-detail"),
    path("<int:pk>/reveal/", views.member_reveal, name="member-reveal"),
    path("<int:pk>/edit/", views.member_edit, name="member-edit"),
]
