from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.db.models import Sum


def failures_for(username: str) -> int:
    return AccessAttempt.objects.filter(username=username).aggregate(n=Sum("failures_since_start"))["n"] or 0


class LoginView(auth_views.LoginView):
    """The login page; after a failure it says how many attempts remain before the 30-minute lock."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form):
        username = form.data.get("username", "")
        remaining = max(settings.AXES_FAILURE_LIMIT - failures_for(username), 0) if username else None
        return self.render_to_response(self.get_context_data(form=form, remaining=remaining))
