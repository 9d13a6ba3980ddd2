"""Adapter: police.uk open data (street crimes and their outcomes) onto Casework's cases
and arrests, so the statistics can be checked against published figures.

- each street crime with a Crime ID is a case of a unit named after the force ("Falls
  within"), a root of its own organisation tree; anti-social behaviour rows have no Crime
  ID and are not crimes;
- the alarm is the first moment of the crime's month in London (the finest resolution);
- every "Suspect charged" outcome of such a crime is an arrest in its case, at the first
  moment of the outcome's month (never before the alarm).

All or nothing: every row is checked first; one bad row and nothing is written, the report
names each bad row (file, line, what is wrong). Crimes already imported are skipped, so a
second run adds nothing.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from django.db import transaction

from casework.accounts.choices import UnitKind
from casework.accounts.models import Unit
from casework.dispatch.models import Arrest
from casework.rooms.choices import Category
from casework.rooms.models import Case
from casework.stats import facts

LONDON = ZoneInfo("Europe/London")
NUMBER_PREFIX = "UK-"
CHARGED = "Suspect charged"
CATEGORIES = {
    "Bicycle theft": Category.THEFT, "Other theft": Category.THEFT,
    "Shoplifting": Category.THEFT, "Theft from the person": Category.THEFT,
    "Vehicle crime": Category.THEFT, "Burglary": Category.BURGLARY,
    "Robbery": Category.ROBBERY, "Violence and sexual offences": Category.ASSAULT,
    "Drugs": Category.DRUGS,
}


@dataclass
class Report:
    crimes: int = 0
    charged: int = 0
    arrests: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


def _month(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m").replace(tzinfo=LONDON)


def _rows(path: Path):
    with path.open(newline="", encoding="utf-8-sig") as fh:
        yield from enumerate(csv.DictReader(fh), start=2)


def _read(folder: Path, report: Report):
    crimes: dict[str, dict] = {}
    for path in sorted(folder.glob("*-street.csv")):
        for line, row in _rows(path):
            crime_id = (row.get("Crime ID") or "").strip()
            if not crime_id:
                continue
            try:
                month = _month(row["Month"])
                lat = float(row["Latitude"]) if row["Latitude"] else None
                lon = float(row["Longitude"]) if row["Longitude"] else None
            except KeyError as exc:
                report.errors.append(f"{path.name}:{line}: missing column {exc}")
                continue
            except ValueError as exc:
                report.errors.append(f"{path.name}:{line}: {exc}")
                continue
            if len(NUMBER_PREFIX + crime_id) > 100:
                report.errors.append(f"{path.name}:{line}: Crime ID longer than 97 characters")
                continue
            crimes.setdefault(crime_id, {**row, "month": month, "lat": lat, "lon": lon})
    charges: dict[str, list[datetime]] = defaultdict(list)
    for path in sorted(folder.glob("*-outcomes.csv")):
        for line, row in _rows(path):
            if (row.get("Outcome type") or "").strip() != CHARGED:
                continue
            try:
                charges[row["Crime ID"].strip()].append(_month(row["Month"]))
            except KeyError as exc:
                report.errors.append(f"{path.name}:{line}: missing column {exc}")
            except ValueError as exc:
                report.errors.append(f"{path.name}:{line}: {exc}")
    return crimes, charges


def load(folder: Path) -> Report:
    report = Report()
    crimes, charges = _read(Path(folder), report)
    if report.errors or not crimes:
        if not crimes and not report.errors:
            report.errors.append(f"{folder}: no street crimes with a Crime ID")
        return report
    with transaction.atomic():
        units: dict[str, Unit] = {}
        for force in sorted({c["Falls within"] for c in crimes.values()}):
            unit = Unit.objects.filter(name=force, depth=1).first()
            units[force] = unit or Unit.objects.add_root(
                {"name": force, "name_en": force, "kind": UnitKind.CITY_BUREAU})
        existing = set(Case.objects.filter(number__in=[NUMBER_PREFIX + k for k in crimes])
                       .values_list("number", flat=True))
        new = []
        for crime_id, row in crimes.items():
            if NUMBER_PREFIX + crime_id in existing:
                report.skipped += 1
                continue
            new.append(Case(
                number=NUMBER_PREFIX + crime_id, title=row["Crime type"][:200],
                category=CATEGORIES.get(row["Crime type"], Category.OTHER),
                owning_unit=units[row["Falls within"]], reported_at=row["month"],
                opened_at=row["month"], location=row["Location"][:200],
                lat=row["lat"], lon=row["lon"], reported_loss=Decimal(0),
                status="closed", closed_at=row["month"]))
        Case.objects.bulk_create(new, batch_size=2000)
        ids = dict(Case.objects.filter(number__in=[c.number for c in new])
                   .values_list("number", "id"))
        arrests = []
        for crime_id, months in charges.items():
            case_id = ids.get(NUMBER_PREFIX + crime_id)
            if case_id is None:      # outcome of a crime reported before these files
                continue
            report.charged += 1
            alarm = crimes[crime_id]["month"]
            arrests += [Arrest(case_id=case_id, name="charged (police.uk)",
                               arrested_at=max(month, alarm)) for month in months]
        Arrest.objects.bulk_create(arrests, batch_size=2000)
        # bulk writes pass no signals: the statistics of these cases, in this transaction
        facts.refresh_cases(ids.values())
        report.crimes = len(new)
        report.arrests = len(arrests)
    return report
