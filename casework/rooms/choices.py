from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    THEFT = "theft", _("Theft")
    BURGLARY = "burglary", _("Burglary")
    ROBBERY = "robbery", _("Robbery")
    FRAUD = "fraud", _("Fraud")
    ASSAULT = "assault", _("Assault")
    HOMICIDE = "homicide", _("Homicide")
    DRUGS = "drugs", _("Drugs")
    OTHER = "other", _("Other")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class RoomRole(models.TextChoices):
    LEAD = "lead", _("Lead")
    MEMBER = "member", _("Member")
    OBSERVER = "observer", _("Observer")


class CasePerm(models.TextChoices):
    """Object permissions on a case; derived from room roles by casework.rooms.permissions."""

    VIEW = "view_case", _("See the room")
    POST = "post_case", _("Post messages, evidence, entities, imports")
    ANALYSE = "analyse_case", _("Run link analysis")
    MANAGE_MEMBERS = "manage_members", _("Add and remove members, change roles")
    DISPATCH = "dispatch_case", _("Issue, cancel and reassign instructions")
    RECORD_ARRESTS = "record_arrests", _("Record arrests and recoveries")
    CLOSE = "close_case", _("Close and reopen the case")
    CHANGE = "change_case", _("Edit the case's fields")


# Permissions that change the room; a closed room refuses them (read-only).
# Plain strings: an Enum member hashes by its name, so `"post_case" in {CasePerm.POST}`
# would be False.
WRITE_PERMS = frozenset(p.value for p in (
    CasePerm.POST, CasePerm.MANAGE_MEMBERS, CasePerm.DISPATCH, CasePerm.RECORD_ARRESTS,
    CasePerm.CHANGE,
))


class AccessRequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    GRANTED = "granted", _("Granted")
    REFUSED = "refused", _("Refused")
