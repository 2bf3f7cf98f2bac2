from django.apps import AppConfig


class RotationsConfig(AppConfig):
    name = "rotations"
    verbose_name = "Rotations"

    def ready(self) -> None:
        from advocacy.panels import register_program_panel

        from . import panels

        register_program_panel(panels.advocate_panel)
