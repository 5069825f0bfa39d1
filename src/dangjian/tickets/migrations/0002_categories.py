"""Ship the event classes of GB/T 30428.2 and the rural and grassroots classes as editable data."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "categories.json"


def load(apps, schema_editor):
    TicketCategory = apps.get_model("tickets", "TicketCategory")
    by_code = {}
    for row in json.loads(DATA.read_text(encoding="utf-8")):
        parent = by_code.get(row.pop("parent"))
        obj, _ = TicketCategory.objects.get_or_create(code=row["code"], defaults={**row, "parent": parent})
        by_code[obj.code] = obj


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
