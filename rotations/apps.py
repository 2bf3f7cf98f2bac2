from django.apps import AppConfig


class RotationsConfig(AppConfig):
    name = "rotations"
    verbose_name = "Rotations"

    def ready(self) -> None:
        from django.db.models.signals import post_init, post_save

        from advocacy.panels import register_program_panel
        from advocacy.signals import membership_changed

        from . import panels, receivers

        register_program_panel(panels.advocate_panel)
        membership_changed.connect(receivers.roster_changed, dispatch_uid="rotations.roster_changed")
        Program = self.apps.get_model("advocacy", "Program")
        post_init.connect(receivers.program_loaded, sender=Program, dispatch_uid="rotations.program_loaded")
        post_save.connect(receivers.program_saved, sender=Program, dispatch_uid="rotations.program_saved")
