"""Fill the fact tables from the rows that existed before statistics did."""

from django.db import migrations


def backfill(apps, schema_editor):
    # the live SQL, not a frozen copy: it is one statement over tables this migration
    # depends on, and a later change to it comes with its own rebuild (the sums over the
    # facts, UnitDay, came later: 0004 fills them)
    from casework.stats import facts

    facts.rebuild_facts()


class Migration(migrations.Migration):
    dependencies = [
        ("stats", "0001_initial"),
        ("entities", "0003_caseentity_suspect_since"),
        ("dispatch", "0002_unit_requests"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
