"""The patrol terminal page (`/terminal/`): a mobile web page for officers' phones and
vehicle terminals. The page itself holds nothing of any case: it logs in with an API token
(kept in the browser) and talks to the dispatch API and the unit's WebSocket
(static/js/terminal.js)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.contrib.staticfiles import finders
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
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


# What the terminal page loads, kept on the device by its service worker.
TERMINAL_ASSETS = ("css/casework.css", "css/terminal.css", "js/terminal.js")
_SW_TEMPLATE = Path(__file__).parent / "templates" / "dispatch" / "terminal_sw.js"


def _assets_version() -> str:
    """Changes with the files' contents (their URLs carry no hash) and the worker's own:
    a new release makes a new worker, which fetches them again."""
    digest = hashlib.sha256()
    for path in [*(finders.find(name) for name in TERMINAL_ASSETS), _SW_TEMPLATE]:
        if path:
            digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:16]


@require_GET
def terminal_service_worker(request):
    """The terminal's service worker, from under /terminal/ so that its scope covers the
    page (a worker controls only pages at or below its own URL)."""
    config = {"page": reverse("terminal"), "version": _assets_version(),
              "assets": [static(name) for name in TERMINAL_ASSETS]}
    response = render(request, "dispatch/terminal_sw.js",
                      {"config": config, "config_json": json.dumps(config)},
                      content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"   # browsers check for a new worker each visit
    return response
