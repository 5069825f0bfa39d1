from django.urls import path

from . import transfer_views, views

urlpatterns = [
    path("", views.MemberListView.as_view(), name="member-list"),
    path("transfers/", transfer_views.TransferListView.as_view(), name="member-transfers"),
    path("transfers/<int:pk>/", transfer_views.transfer_detail, name="transfer-detail"),
    path("transfers/<int:pk>/<str:action>/", transfer_views.transfer_act, name="transfer-act"),
    path("contacts/", transfer_views.MobileMemberListView.as_view(), name="member-contacts"),
    path("<int:pk>/", views.member_detail, name="member-detail"),
    path("<int:pk>/reveal/", views.member_reveal, name="member-reveal"),
    path("<int:pk>/edit/", views.member_edit, name="member-edit"),
    path("<int:pk>/transfer/", transfer_views.member_transfer_issue, name="member-transfer-issue"),
    path("<int:pk>/contact/", transfer_views.member_contact_add, name="member-contact-add"),
    path("<int:pk>/mobile/<str:action>/", transfer_views.member_mobile, name="member-mobile"),
]
