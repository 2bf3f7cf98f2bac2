import factory
from django.contrib.auth import get_user_model

from advocacy.models import Membership, Program, RoleDescription, RoleDescriptionVersion, ThanksNote

__all__ = [
    "TOTP_SECRET",
    "give_two_factor",
    "UserFactory",
    "ProgramFactory",
    "MembershipFactory",
    "RoleDescriptionFactory",
    "RoleDescriptionVersionFactory",
    "ThanksNoteFactory",
    "PASSWORD",
]

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()

    @factory.post_generation
    def two_factor(obj, create, extracted, **kwargs):
        """Staff have an authenticator app, as the admin asks; two_factor=False for one who has not yet."""
        wanted = obj.is_staff if extracted is None else extracted
        if create and wanted:
            give_two_factor(obj)


TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def give_two_factor(user):
    """Give `user` an authenticator app (TOTP, with TOTP_SECRET) unless they have one."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, TOTP_SECRET)
    return user


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    name = factory.Sequence(lambda n: f"Program {n}")
    slug = factory.Sequence(lambda n: f"program-{n}")
    time_zone = "Europe/Berlin"
    term_months = 3


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    program = factory.SubFactory(ProgramFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.MEMBER
    is_eligible = True


class RoleDescriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleDescription

    name = factory.Sequence(lambda n: f"Role {n}")
    is_default = False


class RoleDescriptionVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleDescriptionVersion

    role = factory.SubFactory(RoleDescriptionFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = "Customer advocate"
    mandate = "See through the customers' eyes."
    responsibilities = "Work the hot-issue log."
    qualities = factory.LazyFunction(lambda: ["Has courage — raises uncomfortable truths."])


class ThanksNoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ThanksNote

    program = factory.SubFactory(ProgramFactory)
    sender = factory.SubFactory(UserFactory)
    recipient = factory.SubFactory(UserFactory)
    message = "Thank you for calling the customer back."
