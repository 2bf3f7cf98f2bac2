"""Demo data for advocacy: people, two programs, the role description and thanks.

Each app has a demo module with a `build(ctx)` function; the `demo` command
runs them in the order of settings.DEMO_BUILDERS, passing a shared context
dict (users by username, programs by slug) that later builders extend.
"""

from datetime import time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from .models import Membership, Program, ThanksNote

DEMO_PASSWORD = "baton-demo"  # noqa: S105 — the demo's published sign-in, for local demo data only

PEOPLE = [
    # username, first, last, email domain role note
    ("maria", "Maria", "Keller", "Manager of Support Desk and Web Shop"),
    ("dana", "Dana", "Whitfield", "Support Desk advocate this term"),
    ("sam", "Sam", "Okafor", "Support Desk"),
    ("priya", "Priya", "Raman", "Support Desk"),
    ("leo", "Leo", "Brandt", "Support Desk (not serving as advocate)"),
    ("aisha", "Aisha", "Haddad", "Support Desk and Web Shop"),
    ("tom", "Tom", "Lindqvist", "Web Shop manager"),
    ("nina", "Nina", "Petrova", "Web Shop"),
    ("omar", "Omar", "Farouk", "Web Shop"),
    ("grace", "Grace", "Mensah", "Web Shop"),
    ("lena", "Lena", "Sørensen", "Customer-experience lead: the company view of every team"),
]
COMPANY_LEADS_GROUP = "Customer-experience leads"

PROGRAMS = [
    {
        "slug": "support-desk",
        "name": "Support Desk",
        "description": "The first-line support team for our subscription customers in Europe. "
        "One advocate a quarter keeps the unhappiest customers in view.",
        "time_zone": "Europe/Berlin",
        "term_months": 3,
        "handoff_time": time(9, 0),
        "managers": ["maria"],
        "members": ["dana", "sam", "priya", "leo", "aisha"],
        "ineligible": ["leo"],
    },
    {
        "slug": "web-shop",
        "name": "Web Shop",
        "description": "The team behind the online shop, checkout and delivery tracking for North America.",
        "time_zone": "America/New_York",
        "term_months": 1,
        "handoff_time": time(10, 0),
        "managers": ["tom", "maria"],
        "members": ["nina", "omar", "grace", "aisha"],
        "ineligible": [],
    },
]

THANKS = [
    (
        "support-desk",
        "dana",
        "sam",
        "Thank you for calling Mrs. Albers back on a Saturday — she renewed for two years.",
        2,
    ),
    (
        "support-desk",
        "priya",
        "dana",
        "You kept the billing-error customers in the loop every single day. It showed.",
        5,
    ),
    (
        "support-desk",
        "dana",
        "leo",
        "Leo found the root cause of the duplicate invoices in an afternoon. Customers noticed.",
        9,
    ),
    (
        "support-desk",
        "maria",
        "aisha",
        "Aisha rewrote the cancellation e-mail so it no longer sounds like a threat. Thank you!",
        14,
    ),
    ("web-shop", "nina", "omar", "Omar pushed the carrier to re-deliver 40 parcels before the holidays.", 3),
    ("web-shop", "grace", "nina", "Thanks for sitting in on the checkout redesign as the customer's voice.", 8),
]


def build(ctx: dict) -> None:
    """Create (or reset) the demo people, programs, memberships and thanks."""
    User = get_user_model()
    users = ctx.setdefault("users", {})
    admin, _ = User.objects.update_or_create(
        username="admin",
        defaults={
            "first_name": "Ada",
            "last_name": "Admin",
            "email": "admin@example.com",
            "is_staff": True,
            "is_superuser": True,
        },
    )
    admin.set_password(DEMO_PASSWORD)
    admin.save()
    users["admin"] = admin
    for username, first, last, _note in PEOPLE:
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@example.com", "is_active": True},
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        users[username] = user
    leads, _ = Group.objects.get_or_create(name=COMPANY_LEADS_GROUP)
    leads.permissions.add(Permission.objects.get(content_type__app_label="advocacy", codename="view_company"))
    users["lena"].groups.add(leads)
    ctx.setdefault("logins", []).extend([("admin", "Administrator (Django admin)")] + [(p[0], p[3]) for p in PEOPLE])

    programs = ctx.setdefault("programs", {})
    for spec in PROGRAMS:
        program, _ = Program.objects.update_or_create(
            slug=spec["slug"],
            defaults={k: spec[k] for k in ("name", "description", "time_zone", "term_months", "handoff_time")},
        )
        programs[program.slug] = program
        for username in spec["managers"] + spec["members"]:
            Membership.objects.update_or_create(
                program=program,
                user=users[username],
                defaults={
                    "role": Membership.Role.MANAGER if username in spec["managers"] else Membership.Role.MEMBER,
                    "is_eligible": username not in spec["ineligible"],
                },
            )

    ThanksNote.objects.filter(program__in=programs.values()).delete()
    now = timezone.now()
    for slug, sender, recipient, message, days_ago in THANKS:
        note = ThanksNote.objects.create(
            program=programs[slug], sender=users[sender], recipient=users[recipient], message=message
        )
        ThanksNote.objects.filter(pk=note.pk).update(created_at=now - timedelta(days=days_ago, hours=3))
