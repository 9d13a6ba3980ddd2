"""Emptying the database after a test that commits (pytest-django's transactional_db).

Django empties it with one TRUNCATE of every table (the `flush` command): PostgreSQL then
makes new files for each of the ~90 tables and their indexes, 0.3–0.6 s per test on a
two-core machine, paid by every test with live servers. A DELETE of the few rows such a
test leaves costs milliseconds. Django's foreign keys on PostgreSQL are DEFERRABLE
INITIALLY DEFERRED, so the tables can be emptied in any order inside one transaction.
A table grown past BIG_BYTES (a test that imported 12,000 calls) is truncated instead:
DELETE would leave its dead rows for the next tests' queries to step over until autovacuum
came by (an index scan for the graph outbox's pending rows took over a second).

Content types and permissions are kept (every run has the same ones; Django's flush drops
and recreates them with new ids, which processes that cached the old ones never learn).
The post_migrate signal is still sent, as `flush` sends it, for whatever a
post_migrate receiver would put back.
"""

from __future__ import annotations

from django.core.management.sql import emit_post_migrate_signal
from django.db import connections, transaction
from django.test import TransactionTestCase

KEPT = frozenset({"django_content_type", "auth_permission"})
BIG_BYTES = 256 * 1024


def empty_database(using: str) -> None:
    conn = connections[using]
    tables = sorted(set(conn.introspection.django_table_names(
        only_existing=True, include_views=False)) - KEPT)
    # table names from Django's own introspection, quoted
    quoted = {t: conn.ops.quote_name(t) for t in tables}
    with transaction.atomic(using=using), conn.cursor() as cur:
        cur.execute("SELECT relname FROM pg_class WHERE relname = ANY(%s) "
                    "AND relkind = 'r' AND pg_relation_size(oid) > %s", [tables, BIG_BYTES])
        big = {name for (name,) in cur.fetchall()}
        if big:
            # CASCADE: the tables that refer to them go too (all of them are emptied)
            cur.execute(f"TRUNCATE {', '.join(quoted[t] for t in sorted(big))} CASCADE")
        cur.execute("SET CONSTRAINTS ALL DEFERRED")
        cur.execute("; ".join(f"DELETE FROM {quoted[t]}"  # noqa: S608
                              for t in tables if t not in big))
    emit_post_migrate_signal(0, False, using)


_django_teardown = TransactionTestCase._fixture_teardown


def _fixture_teardown(self) -> None:
    if self.available_apps is not None or self.serialized_rollback:
        return _django_teardown(self)   # the cases Django treats apart: its own way
    for db_name in self._databases_names(include_mirrors=False):
        empty_database(db_name)
    return None


def install() -> None:
    TransactionTestCase._fixture_teardown = _fixture_teardown
