from django.apps import AppConfig

from core.triggers import keep_sqlite_triggers

from . import triggers


class ThemesConfig(AppConfig):
    name = "themes"
    verbose_name = "Themes"

    def ready(self) -> None:
        from issues.panels import register_issue_panel, register_log_action

        from .panels import issue_theme_panel, log_theme_action

        # SQLite: off before every migrate, back on (the copies refilled) after it; see core.triggers.
        keep_sqlite_triggers(
            self,
            table="themes_themeissue",
            column="issue_level",
            install=triggers.install,
            uninstall=triggers.uninstall,
        )
        register_issue_panel(issue_theme_panel)
        register_log_action(log_theme_action)
