"""After 0007 rewrote every attendance row, VACUUM ANALYZE the table on PostgreSQL: it marks the pages all-visible
again (until then the index-only reads of the absence rule visit the table for every entry) and gives the planner
the new column's statistics. VACUUM cannot run in a transaction, hence a migration of its own, not atomic."""

from django.db import migrations


def vacuum(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("branchlife", "Attendance")._meta.db_table
    with schema_editor.connection.cursor() as c:
        c.execute(f'VACUUM (ANALYZE) "{table}"')


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('branchlife', '0007_attendance_held_on'),
    ]

    operations = [
        migrations.RunPython(vacuum, migrations.RunPython.noop),
    ]
