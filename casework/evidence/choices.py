from django.db import models
from django.utils.translation import gettext_lazy as _


class EvidenceKind(models.TextChoices):
    PHOTO = "photo", _("Photo")
    VIDEO = "video", _("Video")
    DOCUMENT = "document", _("Document")
    CCTV_SIGHTING = "cctv_sighting", _("CCTV sighting")
    CALL_RECORDS = "call_records", _("Call records")
    PLATE_SIGHTING = "plate_sighting", _("Plate sighting")
    WITNESS_STATEMENT = "witness_statement", _("Witness statement")
    TRANSACTION = "transaction", _("Transaction")
    PHYSICAL_ITEM = "physical_item", _("Physical item")


class EvidenceStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUPERSEDED = "superseded", _("Superseded by a correction")
    WITHDRAWN = "withdrawn", _("Withdrawn")
