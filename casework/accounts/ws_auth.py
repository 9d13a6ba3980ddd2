"""WebSocket authentication: the session cookie, or `?ticket=` from /api/auth/ws-ticket/.

API tokens never go in URLs; a ticket is single use and short-lived, so a URL that leaks
into a log is worthless by the time anyone reads it.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async

from casework.accounts.services import redeem_ws_ticket


class TicketAuthMiddleware:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        ticket = (query.get("ticket") or [""])[0]
        if ticket:
            user = await database_sync_to_async(redeem_ws_ticket)(key=ticket)
            scope = dict(scope, ticket_user=user, ticket_given=True)
        return await self.inner(scope, receive, send)


def WsAuthStack(inner):  # noqa: N802 - named like channels' AuthMiddlewareStack
    return AuthMiddlewareStack(TicketAuthMiddleware(inner))


def scope_user(scope):
    """The authenticated user of a WebSocket scope, or None. A ticket, when given, wins:
    a bad ticket is a refusal even if a session cookie came along."""
    if scope.get("ticket_given"):
        return scope.get("ticket_user")
    user = scope.get("user")
    return user if user is not None and user.is_authenticated else None
