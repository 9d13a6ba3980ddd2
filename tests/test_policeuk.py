"""Real data: police.uk's City of London street crimes, January–March 2016, through the
adapter and the statistics. Published figure (../shared/data/README.md): of 1,240 crimes
with a Crime ID, 122 have a "Suspect charged" outcome, 9.84 %."""

from __future__ import annotations

import shutil

import pytest
from django.core.management import CommandError, call_command

from casework.accounts.choices import OrgRole
from casework.accounts.models import Unit
from casework.rooms.models import Case
from tests.factories import make_user
from tests.montagna import _shared

DATA = _shared() / "data" / "policeuk_city_of_london"


@pytest.mark.django_db
def test_case_clearance_rate_of_the_city_of_london(api):
    call_command("load_policeuk", str(DATA))
    force = Unit.objects.get(name="City of London Police")
    api.force_authenticate(make_user("uk_admin", force, OrgRole.ADMIN))
    summary = api.get("/api/stats/summary/", {"unit": force.pk}).json()
    assert summary["cases_opened"] == 1240
    assert summary["cases_with_arrests"] == 122
    assert summary["case_clearance_rate"] == 9.84
    # by month (the data's resolution), the crimes add back up
    trend = api.get("/api/stats/trend/", {"unit": force.pk, "bucket": "month"}).json()
    assert sum(r["cases_opened"] for r in trend["results"]) == 1240
    # a second run adds nothing
    call_command("load_policeuk", str(DATA))
    assert Case.objects.filter(number__startswith="UK-").count() == 1240


@pytest.mark.django_db
def test_one_bad_row_and_nothing_is_imported(tmp_path):
    for f in DATA.glob("2016-01-*.csv"):
        shutil.copy(f, tmp_path / f.name)
    street = tmp_path / "2016-01-city-of-london-street.csv"
    lines = street.read_text(encoding="utf-8").splitlines()
    bad = next(i for i, line in enumerate(lines) if i and line and not line.startswith(","))
    fields = lines[bad].split(",")
    fields[1] = "2016-13"                        # no such month
    lines[bad] = ",".join(fields)
    street.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CommandError, match="nothing imported: 1 bad row"):
        call_command("load_policeuk", str(tmp_path))
    assert not Case.objects.filter(number__startswith="UK-").exists()
