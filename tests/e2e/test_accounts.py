"""Two ways into Baton in a real browser: a forgotten password reset by e-mail, and the company's single sign-on."""

import re

import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.core import mail

from accounts import sso
from core.mail import send_queued_mail
from core.models import OutgoingMail
from tests.factories import MembershipFactory, ProgramFactory, UserFactory
from tests.oidc_provider.running import running_provider

pytestmark = pytest.mark.django_db(transaction=True)
PROVIDER_PASSWORD = "provider-pass-1"
SECRET = "corp-client-secret"


def test_a_person_who_forgot_their_password_resets_it_and_signs_in(page, live_server, password, settings):
    settings.SITE_URL = live_server.url
    program = ProgramFactory(name="Support Desk", slug="support-desk")
    ann = UserFactory(username="ann", email="ann@example.com", first_name="Ann")
    MembershipFactory(program=program, user=ann)

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.locator("#id_email").fill("ann@example.com")
    page.get_by_role("button", name=re.compile("Reset", re.I)).click()
    page.wait_for_load_state("networkidle")
    assert "/accounts/password/reset/done/" in page.url

    [stored] = OutgoingMail.objects.filter(to="ann@example.com")
    assert send_queued_mail(mail_id=stored.pk)  # what the worker does
    [message] = mail.outbox
    link = re.search(r"http://\S+/accounts/password/reset/key/\S+", message.body).group(0)

    page.goto(link)
    page.locator("#id_password1").fill("a-New-Passphrase-9")
    page.locator("#id_password2").fill("a-New-Passphrase-9")
    page.get_by_role("button", name=re.compile("Change Password", re.I)).click()
    page.wait_for_load_state("networkidle")
    ann.refresh_from_db()
    assert ann.check_password("a-New-Passphrase-9")

    # The old password no longer works; the new one does.
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username or e-mail").fill("ann")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username or e-mail").fill("ann@example.com")
    page.get_by_label("Password").fill("a-New-Passphrase-9")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/programs/")
    assert page.get_by_role("link", name="Support Desk").first.is_visible()


@pytest.fixture
def corp_provider(live_server, tmp_path):
    """The local OpenID Connect provider, knowing Ann and Baton's live server as a client; Baton's app for it."""
    callback = f"{live_server.url}/accounts/oidc/corp/login/callback/"
    people = [
        {
            "username": "ann.corp",
            "email": "ann@corp.example",
            "first_name": "Ann",
            "last_name": "Lee",
            "password": PROVIDER_PASSWORD,
        }
    ]
    applications = [{"client_id": "baton", "secret": SECRET, "redirect_uris": [callback], "skip_authorization": False}]
    with running_provider(db_path=tmp_path / "provider.sqlite3", people=people, applications=applications) as base:
        yield SocialApp.objects.create(
            provider="openid_connect",
            provider_id="corp",
            name="Corp sign-in",
            client_id="baton",
            secret=SECRET,
            settings={"server_url": f"{base}/o", "allowed_domains": ["corp.example"], "signup": sso.INVITED},
        )


def test_a_person_signs_in_through_the_company_provider(page, live_server, corp_provider):
    program = ProgramFactory(name="Support Desk", slug="support-desk")
    ann = UserFactory(username="ann.lee", email="ann@corp.example", first_name="Ann")
    MembershipFactory(program=program, user=ann)

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="Sign in with Corp sign-in").click()
    # At the provider: its own sign-in form, then its question whether Baton may know who this is.
    page.wait_for_url("http://127.0.0.1:*/login/**")
    page.get_by_label("Username").fill("ann.corp")
    page.get_by_label("Password").fill(PROVIDER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("http://127.0.0.1:*/o/authorize/**")
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{live_server.url}/programs/")
    assert page.get_by_role("heading", name="My programs").is_visible()
    assert page.get_by_role("link", name="Support Desk").first.is_visible()
    assert SocialAccount.objects.get(user=ann).provider == "corp"
