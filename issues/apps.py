from django.apps import AppConfig


class IssuesConfig(AppConfig):
    name = "issues"
    verbose_name = "Hot issues"

    def ready(self) -> None:
        from advocacy.email_choices import register_email_choice
        from advocacy.panels import register_program_panel
        from rotations.panels import register_handoff_panel

        from . import notices
        from .panels import handoff_issues_panel, issues_panel

        register_program_panel(issues_panel)
        register_handoff_panel(handoff_issues_panel)
        for choice in notices.EMAIL_CHOICES:
            register_email_choice(**choice)
