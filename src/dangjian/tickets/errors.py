"""Refusals of ticket actions. Each carries a Chinese message and the HTTP status it maps to."""


class TicketError(Exception):
    status = 400

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class Invalid(TicketError):
    """The payload is wrong: a missing reason, an unknown code, a photo too large."""

    status = 400


class Forbidden(TicketError):
    """The actor may see the ticket but their role does not allow this action on it."""

    status = 403


class Conflict(TicketError):
    """The ticket or assignment is not in a state that allows the action (often: someone acted first)."""

    status = 409
