"""The database is emptied after a committing test (tests/flush.py) as Django's flush
would leave it: no row of any table but the content types and permissions (guardian's
anonymous user is not used: settings.ANONYMOUS_USER_NAME is None)."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from tests.flush import BIG_BYTES, KEPT, empty_database


def _rows() -> dict[str, int]:
    tables = connection.introspection.django_table_names(only_existing=True,
                                                          include_views=False)
    with connection.cursor() as cur:
        cur.execute(" UNION ALL ".join(
            f"SELECT '{t}', count(*) FROM {connection.ops.quote_name(t)}"  # noqa: S608
            for t in tables))
        return {t: n for t, n in cur.fetchall() if n}


def test_empty_database_leaves_what_flush_leaves(live_people):
    org, people, room = live_people
    kinds, permissions = ContentType.objects.count(), Permission.objects.count()
    assert {"rooms_case", "rooms_membership", "accounts_unit"} <= set(_rows())
    empty_database("default")
    left = _rows()
    assert set(left) == KEPT, left
    assert (ContentType.objects.count(), Permission.objects.count()) == (kinds, permissions)


def test_a_grown_table_is_truncated_not_left_full_of_dead_rows(live_people):
    from casework.core.models import GraphOutbox

    GraphOutbox.objects.bulk_create(
        GraphOutbox(kind="link", key=f"link:{i}", state={"id": i, "note": "x" * 100})
        for i in range(5000))
    size = "SELECT pg_relation_size('core_graphoutbox')"
    with connection.cursor() as cur:
        cur.execute(size)
        assert cur.fetchone()[0] > BIG_BYTES
        empty_database("default")
        cur.execute(size)
        assert cur.fetchone()[0] == 0       # new, empty files: no dead rows to step over
    assert set(_rows()) == KEPT


def test_committing_tests_are_emptied_this_way():
    from django.test import TransactionTestCase

    from tests import flush

    assert TransactionTestCase._fixture_teardown is flush._fixture_teardown
