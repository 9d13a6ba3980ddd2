from django.apps import AppConfig


class LinkAnalysisConfig(AppConfig):
    name = "linkanalysis"
    verbose_name = "Link analysis"
