from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        from advocacy.email_choices import register_email_choice
        from advocacy.panels import register_program_panel

        from . import services
        from .panels import figures_panel, insights_panel

        register_program_panel(insights_panel)
        register_program_panel(figures_panel)
        for choice in services.EMAIL_CHOICES:
            register_email_choice(**choice)
