from django.apps import AppConfig


class RotationsConfig(AppConfig):
    name = "rotations"
    verbose_name = "Rotations"

    def ready(self) -> None:
        from advocacy.panels import register_program_panel
        from advocacy.signals import membership_changed

        from . import panels, receivers

        register_program_panel(panels.advocate_panel)
        membership_changed.connect(receivers.roster_changed, dispatch_uid="rotations.roster_changed")
