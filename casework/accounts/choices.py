from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    CITY_BUREAU = "city_bureau", _("City bureau")
    COUNTY_BUREAU = "county_bureau", _("County bureau")
    BRIGADE = "brigade", _("Brigade")
    STATION = "station", _("Police station")
    PATROL = "patrol", _("Patrol echelon")


class PatrolKind(models.TextChoices):
    CAR = "car", _("Car")
    MOTORCYCLE = "motorcycle", _("Motorcycle")
    FOOT = "foot", _("Foot")
    DRONE = "drone", _("Drone")


class UnitStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    BUSY = "busy", _("Busy")
    OFF_DUTY = "off_duty", _("Off duty")


class OrgRole(models.TextChoices):
    INVESTIGATOR = "investigator", _("Investigator")
    PATROL = "patrol", _("Patrol officer")
    LEADERSHIP = "leadership", _("Leadership")
    ADMIN = "admin", _("Administrator")
