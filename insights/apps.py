from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        from advocacy.panels import register_program_panel

        from .panels import figures_panel, insights_panel

        register_program_panel(insights_panel)
        register_program_panel(figures_panel)
