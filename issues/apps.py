from django.apps import AppConfig

from core.triggers import keep_sqlite_triggers

from . import triggers


def _install_and_fill(connection) -> None:
    """Put the event-customer triggers back and give events written meanwhile their issue's customer."""
    triggers.install(connection)
    triggers.fill(connection)


class IssuesConfig(AppConfig):
    name = "issues"
    verbose_name = "Hot issues"

    def ready(self) -> None:
        from advocacy.email_choices import register_email_choice
        from advocacy.panels import register_program_panel
        from rotations.panels import register_handoff_panel

        from . import notices
        from .panels import handoff_issues_panel, issues_panel

        # SQLite: off before every migrate, back on after it; see core.triggers.
        keep_sqlite_triggers(
            self,
            table="issues_issueevent",
            column="customer_id",
            install=_install_and_fill,
            uninstall=triggers.uninstall,
        )
        register_program_panel(issues_panel)
        register_handoff_panel(handoff_issues_panel)
        for choice in notices.EMAIL_CHOICES:
            register_email_choice(**choice)
