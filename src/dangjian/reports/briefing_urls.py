from django.urls import path

from . import briefing_views as views

urlpatterns = [
    path("", views.briefing_page, name="briefing"),
    path("figures/", views.figures_page, name="briefing-figures"),
    path("templates/", views.templates_page, name="briefing-templates"),
    path("templates/<int:pk>/render/", views.template_render, name="briefing-template-render"),
    path("templates/<int:pk>/delete/", views.template_delete, name="briefing-template-delete"),
]
