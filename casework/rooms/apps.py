from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoomsConfig(AppConfig):
    name = "casework.rooms"
    label = "rooms"
    verbose_name = _("Cases and case rooms")
