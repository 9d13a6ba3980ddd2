"""Write paths of the accounts app: API tokens and WebSocket tickets."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken

from casework.accounts.models import User, WsTicket
from casework.core import audit


def issue_api_token(*, user: User, client: str = "") -> tuple[AuthToken, str]:
    """A new expiring API token for `user` (after the caller authenticated them)."""
    with transaction.atomic():
        instance, token = AuthToken.objects.create(user=user)
        audit.record(actor=user, action="token.issued", object_type="knox.authtoken",
                     object_id=instance.token_key, detail={"client": client[:100]})
    return instance, token


def revoke_api_token(*, actor: User, token: AuthToken) -> None:
    """Revoke a token (a lost terminal). Admin and the owner may do this."""
    with transaction.atomic():
        audit.record(actor=actor, action="token.revoked", object_type="knox.authtoken",
                     object_id=token.token_key, detail={"user_id": token.user_id})
        token.delete()


def issue_ws_ticket(*, user: User) -> WsTicket:
    """A single-use ticket for a WebSocket handshake, valid WS_TICKET_TTL_SECONDS."""
    now = timezone.now()
    return WsTicket.objects.create(
        key=secrets.token_urlsafe(32), user=user, created_at=now,
        expires_at=now + timedelta(seconds=settings.WS_TICKET_TTL_SECONDS),
    )


def redeem_ws_ticket(*, key: str) -> User | None:
    """The ticket's user, once: a conditional UPDATE marks it used, so two handshakes
    racing with the same ticket cannot both succeed."""
    if not key:
        return None
    now = timezone.now()
    claimed = WsTicket.objects.filter(key=key, used_at__isnull=True, expires_at__gt=now)
    ticket = claimed.select_related("user").first()
    if ticket is None or not claimed.filter(pk=ticket.pk).update(used_at=now):
        return None
    return ticket.user if ticket.user.is_active else None
