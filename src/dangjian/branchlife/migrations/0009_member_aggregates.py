"""The per-member aggregates of the checkup rules (dues months paid, study hours a year, attendance) read the
members' records in member order from an index that starts with the member and holds what they sum, so:

- the foreign keys' own indexes on member go for dues payments and study records: (member, month) and
  (member, studied_on, hours) serve every lookup by member, and the planner no longer reads the table through the
  narrower index;
- on PostgreSQL the member column of the three big tables is sampled more widely (statistics target 1000, about
  300,000 rows): with the default sample PostgreSQL counted 240,000–480,000 members in tables that hold 2.9 million
  (a member's records lie together, so a sample of pages sees few members), planned an in-memory hash of that
  many groups and spilled the real ones to disk, three times slower than aggregating in index order. ANALYZE of
  the column makes the new target count at once."""

import django.db.models.deletion
from django.db import migrations, models

TABLES = ("branchlife_duespayment", "branchlife_studyrecord", "branchlife_attendance")


def sample_members_widely(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as c:
        for table in TABLES:
            c.execute(f'ALTER TABLE "{table}" ALTER COLUMN member_id SET STATISTICS 1000')
            c.execute(f'ANALYZE "{table}" (member_id)')


def sample_members_by_default(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as c:
        for table in TABLES:
            c.execute(f'ALTER TABLE "{table}" ALTER COLUMN member_id SET STATISTICS -1')


def _member_key(model_name, related_name, index):
    return migrations.SeparateDatabaseAndState(
        state_operations=[migrations.AlterField(
            model_name=model_name,
            name='member',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                    related_name=related_name, to='members.member', verbose_name='党员'),
        )],
        # only the index goes: an AlterField would drop the foreign key and add it back, checking every row
        database_operations=[migrations.RunSQL(
            f'DROP INDEX IF EXISTS "{index}"',
            f'CREATE INDEX "{index}" ON "branchlife_{model_name}" ("member_id")',
        )],
    )


class Migration(migrations.Migration):

    dependencies = [
        ('branchlife', '0008_vacuum_attendance'),
    ]

    operations = [
        _member_key('duespayment', 'dues_payments', 'branchlife_duespayment_member_id_530ca249'),
        _member_key('studyrecord', 'study_records', 'branchlife_studyrecord_member_id_f34f31d8'),
        migrations.RunPython(sample_members_widely, sample_members_by_default),
    ]
