from django.apps import AppConfig


class RotationsConfig(AppConfig):
    name = "rotations"
    verbose_name = "Rotations"

    def ready(self) -> None:
        from advocacy.email_choices import register_email_choice
        from advocacy.panels import register_program_panel

        from . import notices, panels

        register_program_panel(panels.advocate_panel)
        for choice in notices.EMAIL_CHOICES:
            register_email_choice(**choice)
