"""Signing in by username or e-mail, resetting a password, changing one's e-mail, throttling, two-factor."""

import re

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from allauth.socialaccount.models import SocialApp
from axes.models import AccessAttempt
from django.core import mail
from django.urls import reverse

from accounts import sso
from accounts.forms import TOO_MANY_WRONG_TRIES
from accounts.mfa import STAFF_NEEDS_TWO_FACTOR
from advocacy import services
from advocacy.permissions import NEEDS_TWO_FACTOR
from core.models import OutgoingMail
from tests.factories import TOTP_SECRET, UserFactory, give_two_factor

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def sign_in(client, login, password, **extra):
    return client.post(reverse("login"), {"username": login, "password": password, **extra})


def test_the_sign_in_page_offers_a_password_reset(client):
    page = client.get(reverse("login")).content.decode()
    assert "Username or e-mail" in page
    assert f'href="{reverse("account_reset_password")}">Forgot your password?' in page


@pytest.mark.parametrize("login", ["member", "MEMBER", "member@example.com", "Member@Example.com"])
def test_people_sign_in_with_their_username_or_e_mail(client, member, password, login):
    response = sign_in(client, login, password)
    assert response.status_code == 302 and response.url == reverse("advocacy:program_list")
    assert client.session["_auth_user_id"] == str(member.pk)


def test_a_wrong_password_is_an_ordinary_failed_sign_in(client, member):
    response = sign_in(client, "member@example.com", "wrong")
    assert response.status_code == 200
    assert "The email address and/or password you specified are not correct." in response.content.decode()


def test_five_failures_lock_the_account_out_whichever_spelling_names_it(client, member, password):
    for login in ("member", "member@example.com", "MEMBER", "Member@Example.com"):
        assert sign_in(client, login, "wrong").status_code == 200
    assert sign_in(client, "member@example.com", "wrong").status_code == 429
    response = sign_in(client, "member", password)
    assert response.status_code == 429 and "Too many sign-in attempts" in response.content.decode()
    assert AccessAttempt.objects.get().username == "member"


def test_allauth_also_limits_one_account_tried_from_many_addresses(client, member, password):
    for n in range(10):  # one failure from each address: django-axes locks none of them out
        client.post(reverse("login"), {"username": "member", "password": "wrong"}, REMOTE_ADDR=f"198.51.100.{n}")
    response = client.post(reverse("login"), {"username": "member", "password": password}, REMOTE_ADDR="198.51.100.99")
    assert response.status_code == 200 and "Too many failed login attempts" in response.content.decode()


def _link(body: str) -> str:
    return re.search(r"https?://\S+", body).group(0)


def test_a_forgotten_password_is_reset_by_e_mail(client, member, run_jobs, settings):
    settings.SITE_URL = "http://testserver"
    response = client.post(reverse("account_reset_password"), {"email": "member@example.com"})
    assert response.status_code == 302
    assert not mail.outbox  # a worker sends it
    run_jobs()
    [message] = mail.outbox
    assert message.to == ["member@example.com"] and "reset the password" in message.body
    assert not OutgoingMail.objects.exists()  # the link is not kept once sent
    link = _link(message.body)
    assert link.startswith("http://testserver/accounts/password/reset/key/")
    form_url = client.get(link).url  # allauth moves the key out of the address first
    response = client.post(form_url, {"password1": "a-New-Passphrase-9", "password2": "a-New-Passphrase-9"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password("a-New-Passphrase-9")
    assert sign_in(client, "member", "a-New-Passphrase-9").status_code == 302


def test_a_reset_for_an_unknown_address_says_nothing_on_the_page_and_mails_a_note(client, run_jobs):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    run_jobs()
    [message] = mail.outbox
    assert "there is no account with that address" in message.body


def test_password_resets_are_rate_limited(client, member):
    url = reverse("account_reset_password")
    statuses = [client.post(url, {"email": "member@example.com"}).status_code for _ in range(4)]
    assert statuses[:3] == [302, 302, 302] and statuses[3] in (200, 429)


def test_a_new_e_mail_counts_once_verified(client_for, member, run_jobs, settings):
    settings.SITE_URL = "http://testserver"
    EmailAddress.objects.create(user=member, email=member.email, primary=True, verified=True)
    client = client_for(member)
    response = client.post(reverse("account_email"), {"action_add": "", "email": "member.new@example.com"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.email == "member@example.com"  # not yet
    run_jobs()
    [message] = [m for m in mail.outbox if m.to == ["member.new@example.com"]]
    assert "confirm that member.new@example.com is your address" in message.body
    link = _link(message.body)
    client.post(link)
    member.refresh_from_db()
    assert member.email == "member.new@example.com"
    assert list(EmailAddress.objects.filter(user=member).values_list("email", "verified")) == [
        ("member.new@example.com", True)
    ]


def test_sign_up_is_closed_people_join_by_invitation(client):
    response = client.get(reverse("account_signup"))
    assert response.status_code == 200 and "Sign Up Closed" in response.content.decode()


def test_a_domain_with_password_sign_in_off_must_use_single_sign_on(client, password):
    SocialApp.objects.create(
        provider="openid_connect",
        provider_id="corp",
        name="Corp sign-in",
        client_id="baton",
        settings={"server_url": "http://127.0.0.1:1", "allowed_domains": ["corp.example"], "password_login_off": True},
    )
    UserFactory(username="carla", email="carla@corp.example")
    for login in ("carla", "carla@corp.example"):
        response = sign_in(client, login, password)
        assert response.status_code == 200
        assert sso.USE_SSO % {
            "domain": "corp.example",
            "provider": "Corp sign-in",
        } in response.content.decode().replace("&#x27;", "'")
    assert "_auth_user_id" not in client.session
    UserFactory(username="dora", email="dora@example.com")
    assert sign_in(client, "dora", password).status_code == 302


def test_staff_set_up_two_factor_before_the_admin(client_for):
    newcomer = UserFactory(username="newstaff", is_staff=True, is_superuser=True, two_factor=False)
    client = client_for(newcomer)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[0][0] == reverse("mfa_activate_totp")
    assert STAFF_NEEDS_TWO_FACTOR in response.content.decode()
    give_two_factor(newcomer)
    assert client.get("/admin/").status_code == 200


def test_the_admin_signs_in_through_the_same_page(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    follow = client.get(response.url)
    assert follow.status_code == 302 and follow.url.startswith(LOGIN)


def _code() -> str:
    return format_hotp_value(hotp_value(TOTP_SECRET, next(yield_hotp_counters_from_time())))


def test_someone_with_two_factor_gives_a_code_after_the_password(client, member, password):
    give_two_factor(member)
    response = sign_in(client, "member", password)
    assert response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    assert client.post(reverse("mfa_authenticate"), {"code": "000000"}).status_code == 200
    response = client.post(reverse("mfa_authenticate"), {"code": _code()})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(member.pk)


def test_a_program_can_ask_its_members_for_two_factor(client_for, program, manager, member):
    with pytest.raises(Exception, match="for yourself first"):
        services.update_program(program=program, actor=manager, require_two_factor=True)
    give_two_factor(manager)
    services.update_program(program=program, actor=manager, require_two_factor=True)
    url = reverse("advocacy:program_detail", args=[program.slug])
    response = client_for(member).get(url)
    assert response.status_code == 403
    page = response.content.decode().replace("&#x27;", "'")
    assert NEEDS_TWO_FACTOR % {"program": program.name} in page
    assert reverse("mfa_activate_totp") in page
    give_two_factor(member)
    assert client_for(member).get(url).status_code == 200


def test_people_who_use_single_sign_on_are_not_asked_for_a_second_factor(client_for, program, manager):
    give_two_factor(manager)
    services.update_program(program=program, actor=manager, require_two_factor=True)
    from tests.factories import MembershipFactory

    sso_person = MembershipFactory(program=program, user__username="ssoperson").user
    sso_person.set_unusable_password()
    sso_person.save()
    assert client_for(sso_person).get(reverse("advocacy:program_detail", args=[program.slug])).status_code == 200


def _change_password(client, old, new="a-New-Passphrase-9"):
    return client.post(reverse("password_change"), {"oldpassword": old, "password1": new, "password2": new})


def test_wrong_current_passwords_on_the_change_page_count_towards_the_lockout(client, member, password, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "change_password": "100/m/user"}
    client.force_login(member)
    for _ in range(4):
        response = _change_password(client, "wrong")
        assert response.status_code == 200 and "Please type your current password." in response.content.decode()
    assert AccessAttempt.objects.get().username == "member"
    _change_password(client, "wrong")  # the fifth: locked out, like five wrong sign-ins
    response = _change_password(client, password)  # even the right one is no longer checked
    assert TOO_MANY_WRONG_TRIES in response.content.decode()
    member.refresh_from_db()
    assert member.check_password(password)
    client.post(reverse("logout"))
    assert sign_in(client, "member", password).status_code == 429  # the sign-in page counts them too


def test_the_right_current_password_changes_it(client, member, password):
    client.force_login(member)
    assert _change_password(client, password).status_code == 302
    member.refresh_from_db()
    assert member.check_password("a-New-Passphrase-9")
    assert not AccessAttempt.objects.exists()
