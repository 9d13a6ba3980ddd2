"""seed_scale: synthetic data for the benchmarks, at small sizes here. The seed must be
data the product could have written: keys as normalisation makes them, links between the
room's own entities with the room's evidence, valid custody chains, outbox states equal to
what the services enqueue, permissions derived from memberships."""

from __future__ import annotations

import io
import uuid
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from casework.core.models import GraphOutbox
from casework.demo import scale
from casework.entities import normalise
from casework.entities.models import CaseEntity, Entity, Link
from casework.entities.outbox import involvement_state
from casework.evidence import custody
from casework.evidence.models import EvidenceItem
from casework.rooms.access import visible_cases
from casework.rooms.models import Case, CaseUserObjectPermission, Membership
from casework.rooms.permissions import case_permission_ids, perms_for_membership
from linkanalysis.graph import driver, repository

pytestmark = pytest.mark.django_db

NORMALISE = {"phone": normalise.phone, "vehicle": normalise.plate,
             "bank_account": normalise.bank_account, "person": normalise.id_number}


def quiet(_line: str) -> None:
    pass


def test_a_seed_is_data_the_product_could_have_written():
    scale.seed(scale.Plan(cases=60, links=650, member_cases=12), quiet)
    cases = Case.objects.filter(number__startswith=scale.PREFIX)
    assert cases.count() == 60 and Link.objects.count() == 650
    per_case = Counter(Link.objects.values_list("case_id", flat=True))
    assert set(per_case.values()) == {10, 11}  # 650 links over 60 cases
    # links join the room's own entities, with the room's evidence
    assert not Link.objects.exclude(evidence__case_id=F("case_id")).exists()
    known = set(CaseEntity.objects.values_list("case_id", "entity_id"))
    for case_id, source, target in Link.objects.values_list("case_id", "source_id",
                                                           "target_id"):
        assert (case_id, source) in known and (case_id, target) in known
    # MET is undirected: smaller id first, as the services store it
    assert not Link.objects.filter(kind="MET", source_id__gt=F("target_id")).exists()
    for kind, key in Entity.objects.values_list("kind", "key"):
        assert NORMALISE[kind](key) == key
    for item in EvidenceItem.objects.filter(case__in=cases)[:10]:
        assert custody.verify_item(item).ok
    # outbox: one row per link and involvement, states as the services build them
    assert GraphOutbox.objects.filter(kind="link").count() == 650
    for ce in CaseEntity.objects.select_related("entity__merged_into")[:50]:
        row = GraphOutbox.objects.get(key=f"involvement:{ce.case_id}:{ce.entity_id}")
        assert row.state == involvement_state(ce)
    # the bench user: members of 12 rooms, guardian rows derived from the membership
    user = Membership.objects.first().user
    assert user.username == scale.BENCH_USER and visible_cases(user).count() == 12
    ids = case_permission_ids()
    for m in Membership.objects.filter(user=user):
        have = set(CaseUserObjectPermission.objects.filter(content_object_id=m.case_id,
                                                           user=user)
                   .values_list("permission_id", flat=True))
        assert have == {ids[p] for p in perms_for_membership(m)}


def test_entities_are_shared_with_a_skew_and_a_seed_is_reproducible():
    scale.seed(scale.Plan(cases=3000, links=30000, graph=False, member_cases=0), quiet)
    in_cases = Counter(CaseEntity.objects.values_list("entity_id", flat=True))
    spread = Counter(in_cases.values())
    assert spread[1] / len(in_cases) > 0.8  # most entities in one case
    assert sum(spread[n] for n in range(2, 6)) > 500  # series: some in 2–5
    assert max(in_cases.values()) > 150  # hubs
    keys = set(Entity.objects.values_list("kind", "key"))
    assert GraphOutbox.objects.count() == 0  # --no-graph

    with pytest.raises(scale.AlreadySeeded):
        scale.seed(scale.Plan(cases=10, links=100), quiet)
    scale.reset(quiet)
    assert not Case.objects.exists() and not Entity.objects.exists()
    assert not EvidenceItem.objects.exists() and not Link.objects.exists()
    scale.seed(scale.Plan(cases=3000, links=30000, graph=False, member_cases=0), quiet)
    assert set(Entity.objects.values_list("kind", "key")) == keys


def test_the_command_projects_the_seed_into_the_graph(settings):
    settings.GRAPH_NAME = f"seed-{uuid.uuid4().hex[:8]}"
    driver.reset_engine()
    try:
        call_command("seed_scale", "--cases", "30", "--links", "300", "--member-cases", "5",
                     stdout=io.StringIO())
        counts = repository.counts()
        assert (counts.links, counts.involvements) == (300, CaseEntity.objects.count())
        with pytest.raises(CommandError, match="--reset"):
            call_command("seed_scale", "--cases", "30", stdout=io.StringIO())
        call_command("seed_scale", "--graph-only", stdout=io.StringIO())
        assert repository.counts() == counts  # a replay changes nothing
        call_command("seed_scale", "--reset", "--cases", "0",
                     stdout=io.StringIO())
        assert repository.counts().links == 0 and not Case.objects.exists()
    finally:
        repository.delete_everything()
        driver.reset_engine()
