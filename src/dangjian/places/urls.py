from django.urls import path

from . import views

urlpatterns = [
    path("", views.region_tree, name="region-tree"),
    path("<int:pk>/children/", views.region_children, name="region-children"),
]
