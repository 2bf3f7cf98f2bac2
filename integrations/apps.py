from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from advocacy.panels import register_program_panel

        from .panels import chat_panel, sources_panel

        register_program_panel(sources_panel)
        register_program_panel(chat_panel)
