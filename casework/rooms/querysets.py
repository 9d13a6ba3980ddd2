"""Reusable case filters. Visibility itself lives in casework.rooms.access."""

from django.db import models

from casework.rooms.choices import CaseStatus


class CaseQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=CaseStatus.OPEN)

    def search(self, text: str):
        return self.filter(models.Q(number__icontains=text) | models.Q(title__icontains=text))
