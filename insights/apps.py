from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        from advocacy.panels import register_program_panel
        from rotations.signals import handoff_performed

        from . import receivers
        from .panels import insights_panel

        handoff_performed.connect(receivers.queue_term_report, dispatch_uid="insights.queue_term_report")
        register_program_panel(insights_panel)
