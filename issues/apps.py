from django.apps import AppConfig


class IssuesConfig(AppConfig):
    name = "issues"
    verbose_name = "Hot issues"

    def ready(self) -> None:
        from advocacy.panels import register_program_panel
        from rotations.signals import handoff_performed

        from . import receivers
        from .panels import issues_panel

        handoff_performed.connect(receivers.move_issues_at_handoff, dispatch_uid="issues.move_issues_at_handoff")
        register_program_panel(issues_panel)
