from django.apps import AppConfig


class ThemesConfig(AppConfig):
    name = "themes"
    verbose_name = "Themes"

    def ready(self) -> None:
        from issues.panels import register_issue_panel, register_log_action

        from .panels import issue_theme_panel, log_theme_action

        register_issue_panel(issue_theme_panel)
        register_log_action(log_theme_action)
