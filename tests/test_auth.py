"""API tokens (expiry, revocation), failed-log-in throttling, WebSocket tickets."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from knox.models import AuthToken

from casework.accounts import services
from casework.accounts.models import WsTicket
from casework.core.models import AuditEntry
from tests.factories import PASSWORD


def get_token(api, username, password=PASSWORD):
    return api.post("/api/auth/token/", {"username": username, "password": password},
                    format="json")


def test_token_grants_access_until_it_expires(api, people):
    response = get_token(api, "lead")
    assert response.status_code == 200
    token = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/me/").json()["username"] == "lead"

    AuthToken.objects.filter(user=people.lead).update(expiry=timezone.now() - timedelta(seconds=1))
    assert api.get("/api/me/").status_code == 401


def test_revoked_token_is_refused_and_audited(api, people):
    token = get_token(api, "patrol").json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/me/").status_code == 200

    # an administrator revokes the lost terminal's token
    instance = AuthToken.objects.get(user=people.patrol)
    from django.db import transaction

    with transaction.atomic():
        services.revoke_api_token(actor=people.lead, token=instance)
    assert api.get("/api/me/").status_code == 401
    assert AuditEntry.objects.filter(action="token.revoked",
                                     object_id=instance.token_key).exists()


def test_logout_revokes_only_the_token_used(api, people):
    first = get_token(api, "lead").json()["token"]
    second = get_token(api, "lead").json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert api.post("/api/auth/logout/").status_code == 204
    assert api.get("/api/me/").status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Token {second}")
    assert api.get("/api/me/").status_code == 200


def test_tokens_never_work_in_the_url(api, people):
    token = get_token(api, "lead").json()["token"]
    assert api.get(f"/api/me/?token={token}").status_code == 401


def test_failed_log_ins_are_throttled(api, people, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert get_token(api, "lead", "wrong").status_code == 401
    assert get_token(api, "lead", "wrong").status_code in (401, 429)
    # locked out now: even the right password is refused until the cool-off
    response = get_token(api, "lead")
    assert response.status_code == 429
    assert "Too many" in response.json()["detail"]
    # another user from the same address is not affected
    assert get_token(api, "member").status_code == 200


def test_successful_log_ins_are_never_throttled(api, people, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT * 3):
        assert get_token(api, "lead").status_code == 200


def test_a_success_resets_the_failure_count(api, people, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        get_token(api, "lead", "wrong")
    assert get_token(api, "lead").status_code == 200
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        get_token(api, "lead", "wrong")
    assert get_token(api, "lead").status_code == 200


def test_session_log_in_page_is_throttled_too(client, people, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "lead", "password": "wrong"})
    response = client.post("/login/", {"username": "lead", "password": PASSWORD})
    assert response.status_code == 429


def test_ws_ticket_is_single_use(api, people):
    api.force_login(people.lead)
    key = api.post("/api/auth/ws-ticket/").json()["ticket"]
    assert services.redeem_ws_ticket(key=key) == people.lead
    assert services.redeem_ws_ticket(key=key) is None


def test_ws_ticket_expires(api, people, settings):
    api.force_login(people.lead)
    key = api.post("/api/auth/ws-ticket/").json()["ticket"]
    ticket = WsTicket.objects.get(key=key)
    assert ticket.expires_at - ticket.created_at == timedelta(
        seconds=settings.WS_TICKET_TTL_SECONDS)
    WsTicket.objects.filter(key=key).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.redeem_ws_ticket(key=key) is None


def test_ws_ticket_of_a_deactivated_user_is_refused(api, people):
    api.force_login(people.lead)
    key = api.post("/api/auth/ws-ticket/").json()["ticket"]
    people.lead.is_active = False
    people.lead.save()
    assert services.redeem_ws_ticket(key=key) is None


def test_unknown_ticket_is_refused(db):
    assert services.redeem_ws_ticket(key="made-up") is None
    assert services.redeem_ws_ticket(key="") is None
