from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "casework.stats"
    label = "stats"
    verbose_name = "Statistics"

    def ready(self) -> None:
        # the receivers keep the fact tables in step with every save, in its transaction
        from casework.stats import receivers  # noqa: F401
