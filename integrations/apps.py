from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from anymail.signals import inbound

        from advocacy.panels import register_program_panel

        from .inbound_mail import on_inbound_mail
        from .panels import chat_panel, mail_in_panel, sources_panel

        register_program_panel(sources_panel)
        register_program_panel(mail_in_panel)
        register_program_panel(chat_panel)
        inbound.connect(on_inbound_mail, dispatch_uid="integrations.mail_in")
