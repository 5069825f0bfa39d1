"""In-app notifications. `key` makes a message idempotent per user, so periodic jobs may run any number of times."""

from .models import Notification


def notify(users, *, key: str, title: str, body: str = "", url: str = "", level: str = "info") -> int:
    """Send one message to each user that has not had `key` yet; returns how many were new."""
    rows = [Notification(user=u, key=key[:120], title=title[:200], body=body, url=url, level=level)
            for u in {u.pk: u for u in users if u is not None}.values()]
    if not rows:
        return 0
    existing = set(Notification.objects.filter(key=key[:120], user__in=[r.user for r in rows])
                   .values_list("user_id", flat=True))
    fresh = [r for r in rows if r.user.pk not in existing]
    Notification.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh)
