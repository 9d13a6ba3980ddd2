"""The patrol terminal page (`/terminal/`): a mobile web page for officers' phones and
vehicle terminals. The page itself holds nothing of any case: it logs in with an API token
(kept in the browser) and talks to the dispatch API and the unit's WebSocket
(static/js/terminal.js)."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from casework.dispatch.choices import (
    AssignmentResult,
    AssignmentStatus,
    InstructionKind,
    Priority,
)
from casework.entities.choices import EntityKind

# What the script says, in the page's language (it builds the assignment cards).
TERMINAL_TEXT = {
    "online": _("Online"),
    "offline": _("Offline"),
    "connecting": _("Connecting…"),
    "waiting_one": _("1 action waiting to be sent"),
    "waiting_many": _("%(n)s actions waiting to be sent"),
    "acknowledge": _("Acknowledge"),
    "step_en_route": _("Set off: en route"),
    "step_on_scene": _("Arrived on scene"),
    "decline": _("Decline"),
    "dismiss": _("Dismiss"),
    "drill": _("DRILL"),
    "escalated": _("Escalated"),
    "resent": _("Sent again"),
    "deadline": _("Acknowledge within"),
    "overdue": _("Overdue by"),
    "target": _("Target"),
    "place": _("Place"),
    "case": _("Case"),
    "issued_by": _("Issued by"),
    "pending": _("Waiting to be sent"),
    "map": _("Open in map"),
    "new_instruction": _("New instruction"),
    "changed": _("Assignment #%(id)s changed meanwhile: it is now “%(status)s”."),
    "refused": _("Not accepted: %(error)s"),
    "session_ended": _("Your session has ended. Log in again."),
    "not_patrol": _("This terminal is for the officers of a patrol unit."),
    "wrong_login": _("Wrong username or password."),
    "no_network": _("No connection. Try again when the network is back."),
    "need_person": _("Name at least one captured person."),
    "need_reason": _("Say why the unit declines."),
    "photo_too_big": _("The photo is too large to keep while offline; send it when online."),
    "recorded": _("Result recorded."),
}


@require_GET
def terminal(request):
    """The terminal page. No session needed: the page logs in with an API token."""
    return render(request, "dispatch/terminal.html", {
        "terminal_labels": {
            "text": {k: str(v) for k, v in TERMINAL_TEXT.items()},
            "kind": {k: str(v) for k, v in InstructionKind.choices},
            "priority": {k: str(v) for k, v in Priority.choices},
            "status": {k: str(v) for k, v in AssignmentStatus.choices},
            "result": {k: str(v) for k, v in AssignmentResult.choices},
            "entity_kind": {k: str(v) for k, v in EntityKind.choices},
        },
        "results": AssignmentResult.choices,
    })
