from django.db import models
from django.utils.translation import gettext_lazy as _


class EntityKind(models.TextChoices):
    PERSON = "person", _("Person")
    PHONE = "phone", _("Phone")
    VEHICLE = "vehicle", _("Vehicle")
    BANK_ACCOUNT = "bank_account", _("Bank account")
    LOCATION = "location", _("Location")


class PersonRole(models.TextChoices):
    SUSPECT = "suspect", _("Suspect")
    VICTIM = "victim", _("Victim")
    WITNESS = "witness", _("Witness")
    OTHER = "other", _("Other")


class LinkKind(models.TextChoices):
    CALLED = "CALLED", _("called")
    MET = "MET", _("met")
    USES = "USES", _("uses")
    DRIVES = "DRIVES", _("drives")
    SEEN_AT = "SEEN_AT", _("seen at")
    TRANSFERRED_TO = "TRANSFERRED_TO", _("transferred to")
    CO_OFFENDED = "CO_OFFENDED", _("co-offended with")


# Relations whose direction carries no meaning: stored with the smaller entity id first so
# that A–B and B–A are one link.
UNDIRECTED = frozenset({LinkKind.MET.value, LinkKind.CO_OFFENDED.value})


class ImportKind(models.TextChoices):
    CALLS = "calls", _("Call records")
    SIGHTINGS = "sightings", _("Plate sightings")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
