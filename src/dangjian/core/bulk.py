"""Fast multi-row INSERT for imports: one parametrised statement run with executemany.

Django's bulk_create builds SQL value by value, which dominates a 100,000-row import; this converts each
value once with the field's own `get_db_prep_save` and lets the driver do the rest. It sends no signals:
callers write their audit entries themselves.
"""

from django.db import connection


def insert_rows(model, objects, field_names, chunk: int = 2000) -> None:
    fields = [model._meta.get_field(name) for name in field_names]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
    with connection.cursor() as cursor:
        for start in range(0, len(objects), chunk):
            rows = [
                [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]
                for obj in objects[start : start + chunk]
            ]
            cursor.executemany(sql, rows)
