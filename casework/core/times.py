"""Times that users give: within the era of digital case records and not in the future
(a few minutes of clock skew between terminals allowed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
SKEW = timedelta(minutes=5)


def plausible_time(value: datetime) -> datetime:
    """For serializers' validate_<field>: a 400 on a time outside 1990…now."""
    if value is not None and not EARLIEST <= value <= timezone.now() + SKEW:
        raise serializers.ValidationError(_("The time must lie between 1990 and now."))
    return value
