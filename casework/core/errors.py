"""Errors services raise; edges translate them (HTTP 409 / 403 / 404, WebSocket close)."""


class Conflict(Exception):
    """The change is illegal in the object's current state (HTTP 409)."""


class NotPermitted(Exception):
    """The user may see the object but not make this change (HTTP 403)."""


class NotFound(Exception):
    """The object does not exist or the user may not know it exists (HTTP 404)."""
