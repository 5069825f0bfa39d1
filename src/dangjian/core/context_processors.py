from .menu import menu_for
from .models import Notification


def layout(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"menu": menu_for(user, request.path),
            "unread_notifications": Notification.objects.filter(user=user, read_at__isnull=True).count()}
