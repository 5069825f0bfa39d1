"""Attendance carries its meeting's date (held_on), so the absence rule reads a member's attendance by date from
one index instead of joining every attendance record of the window with its meeting.

The backfill is one UPDATE … FROM on PostgreSQL (a hash join of the meetings with the attendance; work_mem raised
for it so the meetings' hash stays in memory) and a correlated subquery elsewhere. The index on (member, status)
and the foreign key's own index on member go first, so the backfill has two indexes fewer to maintain; the new
indexes are built afterwards from the filled column. 0008 vacuums the table (outside a transaction)."""

import django.db.models.deletion
from django.db import migrations, models


def backfill(apps, schema_editor):
    Attendance = apps.get_model("branchlife", "Attendance")
    Meeting = apps.get_model("branchlife", "Meeting")
    attendance, meeting = Attendance._meta.db_table, Meeting._meta.db_table
    with schema_editor.connection.cursor() as c:
        if schema_editor.connection.vendor == "postgresql":
            c.execute("SET LOCAL work_mem = '512MB'")
            c.execute(f'UPDATE "{attendance}" a SET held_on = m.held_on FROM "{meeting}" m WHERE m.id = a.meeting_id')
        else:
            c.execute(f'UPDATE "{attendance}" SET held_on = (SELECT m.held_on FROM "{meeting}" m '
                      f'WHERE m.id = "{attendance}".meeting_id)')


def build_indexes_with_memory(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as c:
            c.execute("SET LOCAL maintenance_work_mem = '512MB'")


class Migration(migrations.Migration):

    dependencies = [
        ('branchlife', '0006_drop_unused_attendance_index'),
        ('members', '0003_contactlog_mobilestay_transfer'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='attendance',
            name='attendance_member_status',
        ),
        # only the index goes: an AlterField would drop the foreign key and add it back, checking every row
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AlterField(
                model_name='attendance',
                name='member',
                field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                        related_name='attendance', to='members.member', verbose_name='党员'),
            )],
            database_operations=[migrations.RunSQL(
                'DROP INDEX IF EXISTS "branchlife_attendance_member_id_1524b351"',
                'CREATE INDEX "branchlife_attendance_member_id_1524b351" ON "branchlife_attendance" ("member_id")',
            )],
        ),
        migrations.AddField(
            model_name='attendance',
            name='held_on',
            field=models.DateField(null=True, verbose_name='召开日期'),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name='attendance',
            name='held_on',
            field=models.DateField(verbose_name='召开日期'),
        ),
        migrations.RunPython(build_indexes_with_memory, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='attendance',
            index=models.Index(fields=['member', 'held_on', 'status'], name='attendance_member_day'),
        ),
        migrations.AddIndex(
            model_name='attendance',
            index=models.Index(condition=models.Q(('status__in', ['absent', 'leave'])),
                               fields=['member', 'held_on', 'status'], name='attendance_missed'),
        ),
    ]
