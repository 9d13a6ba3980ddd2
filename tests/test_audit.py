"""Audit rows live and die with the change they describe."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from casework.core import audit
from casework.core.models import AuditEntry
from casework.core.request_context import Origin, reset_origin, set_origin
from casework.rooms import services
from casework.rooms.models import Case


def test_audit_row_is_written_with_the_change(people, org):
    token = set_origin(Origin("10.1.2.3", "terminal/1.0"))
    try:
        case = services.create_case(actor=people.lead, number="A-1", title="t",
                                    category="theft", reported_at="2021-12-04T04:43:00+08:00")
    finally:
        reset_origin(token)
    row = AuditEntry.objects.get(action="case.opened", case_id=case.pk)
    assert row.actor == people.lead and row.actor_name == "lead"
    assert row.object_type == "rooms.case" and row.object_id == str(case.pk)
    assert row.ip_address == "10.1.2.3" and row.user_agent == "terminal/1.0"
    assert row.at is not None


def test_rolled_back_change_leaves_no_audit_row(people, org):
    before = AuditEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        case = services.create_case(actor=people.lead, number="A-2", title="t",
                                    category="theft",
                                    reported_at="2021-12-04T04:43:00+08:00")
        assert AuditEntry.objects.filter(case_id=case.pk).exists()
        raise RuntimeError("the enclosing work failed")
    assert AuditEntry.objects.count() == before
    assert not Case.objects.filter(number="A-2").exists()


def test_refused_duplicate_leaves_no_audit_row(people, org, room):
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        services.create_case(actor=people.lead, number=room.number, title="dup",
                             category="theft", reported_at="2021-12-04T04:43:00+08:00")
    assert "number" in excinfo.value.message_dict
    assert AuditEntry.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_audit_outside_a_transaction_is_refused(people):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        audit.record(actor=people.lead, action="x", object_type="y", object_id=1)


def test_audit_admin_lists_and_filters(client, people, room):
    people.lead.is_staff = people.lead.is_superuser = True
    people.lead.save()
    client.force_login(people.lead)
    page = client.get("/admin/core/auditentry/?action=member.added")
    assert page.status_code == 200
    assert b"member.added" in page.content
    assert client.get("/admin/core/auditentry/?q=lead").status_code == 200


def test_admin_is_for_staff_only(client, people):
    client.force_login(people.member)
    assert client.get("/admin/core/auditentry/").status_code == 302
