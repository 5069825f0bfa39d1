"""The framework floor of the `tickets` scenario: a minimal DRF endpoint with token authentication that runs
the same SQL statements as one real action (受理, `do_accept`), with no scope, audit or serializer work.

POST /bench/floor/accept/<ticket id>/ (Authorization: Token …) → {"id": …, "status": "processing"}.

The statements are the ones Django issues for `POST /api/v1/tickets/<id>/accept/` inside the service's
transaction (see bench/pgbench_accept.sql, which pgbench runs as the database baseline):
lock the ticket row (read joined to its category and grid, as `_lock` does with select_related and
select_for_update(of=("self",))), lock the ticket's lead/assist assignment rows (read joined to their
departments, `_pick`), update the assignment, insert the event, read
the active lead assignment and update the ticket's status and deadline (`_ticket_status_from_lead`).
It changes rows exactly like an accept would, whatever their state, so it runs on a pool of tickets made for
it (scenarios/tickets.py `setup`). This module is also the server's ROOT_URLCONF (settings_tickets.py):
the project's URLs follow the floor's.
"""

import json

from django.db import connection, transaction
from django.urls import path
from django.utils import timezone
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from dangjian.urls import urlpatterns as project_urlpatterns

# The columns are all of those Django selects (model fields of the row and of its select_related rows).
LOCK_TICKET = """
SELECT t.*, c.*, r.*
  FROM tickets_ticket t
  JOIN tickets_ticketcategory c ON c.id = t.category_id
  JOIN places_region r ON r.id = t.grid_id
 WHERE t.id = %s
 LIMIT 21
   FOR UPDATE OF t"""
LOCK_ASSIGNMENTS = """
SELECT a.*, d.*
  FROM tickets_assignment a
  JOIN units_department d ON d.id = a.department_id
 WHERE a.ticket_id = %s AND a.role IN ('lead', 'assist')
 ORDER BY a.dispatched_at DESC, a.id DESC
   FOR UPDATE OF a"""
UPDATE_ASSIGNMENT = "UPDATE tickets_assignment SET status = 'accepted', accepted_at = %s WHERE id = %s"
INSERT_EVENT = """
INSERT INTO tickets_ticketevent (ticket_id, assignment_id, kind, actor_id, actor_name, at, note, data)
VALUES (%s, %s, 'accept', %s, %s, %s, '', %s) RETURNING id"""
ACTIVE_LEAD = """
SELECT a.deadline, a.* FROM tickets_assignment a
 WHERE a.ticket_id = %s AND a.role = 'lead' AND a.status IN ('pending', 'accepted', 'resolved')
 ORDER BY a.dispatched_at DESC, a.id DESC LIMIT 1"""
UPDATE_TICKET = "UPDATE tickets_ticket SET status = 'processing', deadline = %s WHERE id = %s"


class FloorAccept(APIView):
    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]

    def post(self, request, pk):
        now = timezone.now()
        user = request.user
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(LOCK_TICKET, [pk])
            if cursor.fetchone() is None:
                return Response({"detail": "未找到"}, status=404)
            cursor.execute(LOCK_ASSIGNMENTS, [pk])
            assignments = cursor.fetchall()
            if not assignments:
                return Response({"detail": "没有派单"}, status=409)
            assignment_id = assignments[0][0]
            cursor.execute(UPDATE_ASSIGNMENT, [now, assignment_id])
            cursor.execute(INSERT_EVENT, [pk, assignment_id, user.pk, str(user), now, json.dumps({})])
            cursor.execute(ACTIVE_LEAD, [pk])
            lead = cursor.fetchone()
            cursor.execute(UPDATE_TICKET, [lead[0] if lead else None, pk])
        return Response({"id": pk, "status": "processing"})


urlpatterns = [
    path("bench/floor/accept/<int:pk>/", FloorAccept.as_view(), name="bench-floor-accept"),
    *project_urlpatterns,
]
