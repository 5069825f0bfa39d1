-- The database baseline of the `tickets` scenario: the SQL of one 受理 (accept) as Django issues it inside
-- do_accept's transaction, without the reads around it (token, scope, the ticket before and after).
-- The same statements as the framework floor (floor_app.py). Variables: first, last (the floor pool's
-- ticket ids, one pending lead assignment each), uid and uname (the handler).
-- Run by scenarios/tickets.py: pgbench -n -M simple -c 16 -j 2 -T 15 -f pgbench_accept.sql -D first=… …
\set tid random(:first, :last)
BEGIN;
SELECT t.*, c.*, r.* FROM tickets_ticket t JOIN tickets_ticketcategory c ON c.id = t.category_id JOIN places_region r ON r.id = t.grid_id WHERE t.id = :tid LIMIT 21 FOR UPDATE OF t;
SELECT a.id AS assignment_id, a.*, d.* FROM tickets_assignment a JOIN units_department d ON d.id = a.department_id WHERE a.ticket_id = :tid AND a.role IN ('lead', 'assist') ORDER BY a.dispatched_at DESC, a.id DESC FOR UPDATE OF a \gset lock_
UPDATE tickets_assignment SET status = 'accepted', accepted_at = now() WHERE id = :lock_assignment_id;
INSERT INTO tickets_ticketevent (ticket_id, assignment_id, kind, actor_id, actor_name, at, note, data) VALUES (:tid, :lock_assignment_id, 'accept', :uid, :uname, now(), '', '{}'::jsonb) RETURNING id;
SELECT extract(epoch FROM a.deadline) AS deadline_epoch, a.* FROM tickets_assignment a WHERE a.ticket_id = :tid AND a.role = 'lead' AND a.status IN ('pending', 'accepted', 'resolved') ORDER BY a.dispatched_at DESC, a.id DESC LIMIT 1 \gset lead_
UPDATE tickets_ticket SET status = 'processing', deadline = to_timestamp(:lead_deadline_epoch) WHERE id = :tid;
COMMIT;
