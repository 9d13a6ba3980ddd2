"""Shared body of import_calls and import_sightings."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from casework.accounts.models import User
from casework.entities import imports
from casework.entities.csv_import import ImportRefused
from casework.rooms.choices import RoomRole
from casework.rooms.models import Case, Membership


class ImportCommand(BaseCommand):
    kind = ""

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--case", required=True, help="the case number")
        parser.add_argument("--user", help="who imports (default: the room's lead)")

    def handle(self, *args, file: Path, case: str, user: str | None, **options):
        found = Case.objects.filter(number=case).first()
        if found is None:
            raise CommandError(f"no case numbered {case!r}")
        if user:
            actor = User.objects.filter(username=user).first()
        else:
            lead = (Membership.objects.filter(case=found, role=RoomRole.LEAD)
                    .select_related("user").order_by("id").first())
            actor = lead.user if lead else None
        if actor is None:
            raise CommandError("no such user")
        if not file.is_file():
            raise CommandError(f"{file} is not a file")
        try:
            job = imports.import_now(actor=actor, case_id=found.pk, kind=self.kind,
                                     data=file.read_bytes(), name=file.name,
                                     progress=lambda n: self.stderr.write(f"{n} rows checked"))
        except ImportRefused as refused:
            for error in refused.errors:
                self.stderr.write(f"line {error.row}, {error.column}: {error.message}")
            raise CommandError(f"{len(refused.errors)} errors: nothing was imported") from None
        self.stdout.write(json.dumps({"id": job.pk, "status": job.status,
                                      "counts": job.counts}, ensure_ascii=False))
