"""In-app notifications. `key` makes a message idempotent per user, so periodic jobs may run any number of times."""

from .models import Notification


def notify(users, *, key: str, title: str, body: str = "", url: str = "", level: str = "info",
           count_new: bool = False) -> int | None:
    """Send one message to each user that has not had `key` yet (one INSERT … ON CONFLICT DO NOTHING).

    With `count_new`, first count the users who had not had it (periodic jobs report that number)."""
    key = key[:120]
    recipients = {u.pk: u for u in users if u is not None}
    if not recipients:
        return 0 if count_new else None
    new = None
    if count_new:
        seen = set(Notification.objects.filter(key=key, user__in=list(recipients)).values_list("user_id", flat=True))
        new = len(recipients.keys() - seen)
    Notification.objects.bulk_create(
        [Notification(user=u, key=key, title=title[:200], body=body, url=url, level=level) for u in recipients.values()],
        ignore_conflicts=True,
    )
    return new
