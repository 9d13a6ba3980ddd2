from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "casework.dispatch"
    label = "dispatch"
    verbose_name = "Capture instructions"
