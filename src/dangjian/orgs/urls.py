from django.urls import path

from . import views

urlpatterns = [
    path("", views.org_tree, name="org-tree"),
    path("list/", views.OrgListView.as_view(), name="org-list"),
    path("<int:pk>/children/", views.org_children, name="org-children"),
    path("<int:pk>/committee/", views.org_committee, name="org-committee"),
]
