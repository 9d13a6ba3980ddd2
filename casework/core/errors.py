"""Errors services raise; edges translate them (HTTP 409 / 403 / 404, WebSocket close)."""


class Conflict(Exception):
    """The change is illegal in the object's current state (HTTP 409)."""


class NotPermitted(Exception):
    """The user may see the object but not make this change (HTTP 403)."""


class NotFound(Exception):
    """The object does not exist or the user may not know it exists (HTTP 404)."""


def contains_nul(value) -> bool:
    """True if a string anywhere in a JSON-like value holds a NUL character (which
    PostgreSQL's text and jsonb types refuse)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(contains_nul(v) for v in value)
    return False
