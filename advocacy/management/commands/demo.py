"""Create a realistic demo: people with printed logins, programs and their history."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import import_string

from advocacy.demo import DEMO_PASSWORD


class Command(BaseCommand):
    help = "Create or refresh the demo data and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the demo logins.")

    def handle(self, *args, **options):
        ctx: dict = {}
        with transaction.atomic():
            for dotted in settings.DEMO_BUILDERS:
                import_string(dotted)(ctx)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready: {len(ctx['programs'])} programs, {len(ctx['users'])} people.")
        )
        if not options["quiet_logins"]:
            self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
            for username, note in ctx["logins"]:
                self.stdout.write(f"  {username:<8} {note}")
