"""The choke point for reading cases: every list, detail, consumer and task asks here.

Three sources of access, all derived, never edited by hand:
- guardian rows written from room memberships (casework.rooms.permissions);
- leadership of a unit sees and analyses the rooms of its unit and everything below it
  (a materialised-path prefix match on the owning unit);
- an access request granted by the room's lead: see and analyse, until it expires
  (checked here at every request, so a lapsed grant needs no clean-up job).
Anything else is invisible: callers turn NotFound into 404 so an outsider cannot even
learn that a room exists.
"""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import DateTimeField, Func, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL

from casework.accounts.choices import OrgRole
from casework.core.errors import Conflict, NotFound, NotPermitted
from casework.rooms.choices import WRITE_PERMS, AccessRequestStatus, CasePerm, CaseStatus
from casework.rooms.models import AccessRequest, Case, CaseUserObjectPermission
from casework.rooms.permissions import case_permission_ids

LEADERSHIP_PERMS = frozenset({CasePerm.VIEW.value, CasePerm.ANALYSE.value})


def _is_unit_leader(user) -> bool:
    return user.org_role == OrgRole.LEADERSHIP and user.unit_id is not None


def visible_cases(user, perm: str = CasePerm.VIEW) -> QuerySet[Case]:
    """Cases on which `user` holds `perm` (one SQL query when evaluated)."""
    if not _active(user):
        return Case.objects.none()
    perm = str(perm)
    # The permission's id goes in as a literal (one tiny query) rather than a join: with
    # the value known, PostgreSQL plans an index-only scan of guardian's unique
    # (user, permission, object) index; through a join it scanned every row of the
    # permission (bench/case_list.py: 294 ms → 25 ms at 1,000,000 cases).
    return Case.objects.filter(_holds(user, perm, case_permission_ids([perm]).get(perm)))


# Compiled visibility subqueries, by everything that shapes their text and parameters: the
# user, the permission, and the unit path a leader sees below. Building the queryset costs
# about a millisecond and every analysis request needs one. Nothing in them goes stale:
# the permission's id is looked up inside the statement (a test flush re-creates the
# permission rows with new ids) and grants are checked against the statement's clock.
_COMPILED: dict[tuple, tuple[str, tuple]] = {}
_COMPILED_MAX = 10_000


def visible_case_ids_sql(user, perm: str = CasePerm.VIEW) -> tuple[str, tuple]:
    """visible_cases(user, perm) as SQL selecting the ids, and its parameters: for raw
    statements that embed the choke point as a subquery (link analysis, where one request
    checks the many cases a graph answer touches)."""
    if not _active(user):
        return "SELECT id FROM rooms_case WHERE false", ()
    perm = str(perm)
    key = (user.pk, perm, user.unit.path if _is_unit_leader(user) else None)
    compiled = _COMPILED.get(key)
    if compiled is None:
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        # the id as a scalar subquery: PostgreSQL reads it once, before the guardian
        # index scan that needs it (an InitPlan), so the plan is the literal's
        permission_id = Subquery(Permission.objects.filter(
            content_type__app_label=Case._meta.app_label,
            content_type__model=Case._meta.model_name, codename=perm).values("id"))
        # no ordering: Case's default one makes PostgreSQL hash every visible case first
        query = Case.objects.filter(_holds(user, perm, permission_id)).order_by().values("pk")
        sql, params = query.query.sql_with_params()
        compiled = _COMPILED[key] = (sql, tuple(params))
    return compiled


def _active(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def _holds(user, perm: str, permission_id) -> Q:
    """The condition on a case that `user` holds `perm` on it (`permission_id` its id, or
    an expression giving it)."""
    granted = CaseUserObjectPermission.objects.filter(
        user_id=user.pk, permission_id=permission_id
    ).values("content_object_id")
    condition = Q(pk__in=granted)
    if perm in LEADERSHIP_PERMS:
        condition |= Q(pk__in=_granted_requests(user).values("case_id"))
        if _is_unit_leader(user):
            condition |= Q(owning_unit__path__startswith=user.unit.path)
    return condition


def _granted_requests(user):
    return AccessRequest.objects.filter(requester_id=user.pk,
                                        status=AccessRequestStatus.GRANTED,
                                        expires_at__gt=_STATEMENT_TIME)


# The database's clock when the statement starts (not the transaction's, which a long
# transaction would hold still; not the app's, which would go into compiled SQL).
_STATEMENT_TIME = Func(function="statement_timestamp", output_field=DateTimeField())


# get_case_for_user's lookups on one case ("rooms_case" is the outer query's table):
# codenames of the user's guardian rows, and _granted_requests' rule.
_CODENAMES_ON_CASE = """ARRAY(
    SELECT p.codename FROM rooms_caseuserobjectpermission g
    JOIN auth_permission p ON p.id = g.permission_id
    WHERE g.user_id = %s AND g.content_object_id = rooms_case.id)"""
_GRANTED_ON_CASE = """EXISTS(
    SELECT 1 FROM rooms_accessrequest r
    WHERE r.requester_id = %s AND r.status = %s AND r.expires_at > statement_timestamp()
      AND r.case_id = rooms_case.id)"""


def case_perms(user, case: Case) -> frozenset[str]:
    """Every case permission `user` holds on `case`."""
    if not _active(user):
        return frozenset()
    held = set(
        CaseUserObjectPermission.objects.filter(user_id=user.pk, content_object_id=case.pk)
        .values_list("permission__codename", flat=True)
    )
    return _with_leadership(user, held, case.owning_unit.path,
                            lambda: _granted_requests(user).filter(case_id=case.pk).exists())


def _with_leadership(user, held: set[str], unit_path: str, by_request) -> frozenset[str]:
    """The guardian rows' permissions `held` on a case owned by the unit at `unit_path`,
    plus see-and-analyse for leadership above that unit or a granted access request
    (`by_request`: a callable, asked only when leadership does not already decide)."""
    if _is_unit_leader(user) and unit_path.startswith(user.unit.path):
        return frozenset(held | LEADERSHIP_PERMS)
    if by_request():
        return frozenset(held | LEADERSHIP_PERMS)
    return frozenset(held)


def get_case_for_user(user, pk, perm: str = CasePerm.VIEW) -> Case:
    """The case, if `user` may open it and holds `perm`.

    Raises NotFound when the room is invisible to the user (reads and writes alike),
    NotPermitted when it is visible but `perm` is not held, Conflict when `perm` writes
    and the room is closed.
    """
    pk = _case_pk(user, pk)
    # One query: the case, the permissions of this user's guardian rows on it and whether
    # an access request grants it (the sources of visible_cases and case_perms). The two
    # lookups in SQL: built as ORM subqueries they cost ~2 ms a call, on every request.
    case = (Case.objects.select_related("owning_unit").filter(pk=pk).annotate(
        # constant SQL, values as parameters
        codenames=RawSQL(_CODENAMES_ON_CASE, (user.pk,)),  # noqa: S611
        by_request=RawSQL(_GRANTED_ON_CASE,  # noqa: S611
                          (user.pk, AccessRequestStatus.GRANTED.value)),
    ).first())
    if case is None:
        raise NotFound("no such case")
    _decide(user, str(perm), set(case.codenames), case.owning_unit.path,
            lambda: case.by_request, case.is_open)
    return case


def check_case_for_user(user, pk, perm: str = CasePerm.VIEW) -> int:
    """get_case_for_user for reads that need only the case's id (link analysis): the same
    checks and errors, without building the case and its unit (one small raw query)."""
    pk = _case_pk(user, pk)
    with connection.cursor() as cursor:
        cursor.execute(_CASE_ACCESS, [user.pk, user.pk, AccessRequestStatus.GRANTED.value, pk])
        row = cursor.fetchone()
    if row is None:
        raise NotFound("no such case")
    status, unit_path, codenames, by_request = row
    _decide(user, str(perm), set(codenames), unit_path, lambda: by_request,
            status == CaseStatus.OPEN)
    return pk


_CASE_ACCESS = f"""
SELECT rooms_case.status, unit.path, {_CODENAMES_ON_CASE}, {_GRANTED_ON_CASE}
FROM rooms_case JOIN accounts_unit unit ON unit.id = rooms_case.owning_unit_id
WHERE rooms_case.id = %s"""  # noqa: S608 (constant SQL)


def _case_pk(user, pk) -> int:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound("no such case") from None
    if not _active(user) or not 0 < pk < 2**63:
        raise NotFound("no such case")
    return pk


def _decide(user, perm: str, codenames: set[str], unit_path: str, by_request,
            is_open: bool) -> None:
    """get_case_for_user's errors, from what the user holds on the case."""
    held = _with_leadership(user, codenames, unit_path, by_request)
    if str(CasePerm.VIEW) not in held:
        raise NotFound("no such case")
    if perm not in held:
        raise NotPermitted("your role in this room does not allow this")
    if perm in WRITE_PERMS and not is_open:
        raise Conflict("the case is closed: its room is read-only until the lead reopens it")
