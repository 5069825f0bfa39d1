from auditlog.registry import auditlog

from .models import TicketCategory, TicketPolicy

auditlog.register(TicketCategory)
auditlog.register(TicketPolicy)
