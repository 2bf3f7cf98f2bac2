"""Single sign-on against a real OpenID Connect provider started on localhost (tests/oidc_provider).

Baton discovers the provider, sends the person to its authorization endpoint
(with state, PKCE and a nonce), exchanges the code for tokens, checks the
id_token's nonce and reads the userinfo over HTTP; the person signs in at the
provider with a real form.
"""

import re
from html import unescape
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts import sso
from advocacy import invitations
from advocacy.models import Membership
from tests.factories import UserFactory
from tests.oidc_provider.running import running_provider

pytestmark = pytest.mark.django_db
PASSWORD = "provider-pass-1"
SECRET = "corp-client-secret"
CALLBACK = "http://testserver/accounts/oidc/corp/login/callback/"
User = get_user_model()

PEOPLE = [
    ("ann", "ann@corp.example", "Ann", "Lee"),
    ("newbie", "newbie@corp.example", "Nina", "Newbie"),
    ("stranger", "stranger@corp.example", "Sam", "Stranger"),
    ("shady", "shady@corp.example", "Una", "Unverified"),  # the provider says: e-mail not verified
    ("eve", "eve@elsewhere.example", "Eve", "Else"),
]


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    """Start the provider in its own process with its own SQLite database; yield its base URL."""
    people = [
        {"username": u, "email": e, "first_name": f, "last_name": last, "password": PASSWORD}
        for u, e, f, last in PEOPLE
    ]
    applications = [
        {"client_id": "baton", "secret": SECRET, "redirect_uris": [CALLBACK]},
        {"client_id": "baton-consent", "secret": SECRET, "redirect_uris": [CALLBACK], "skip_authorization": False},
        {"client_id": "baton-wrong-nonce", "secret": SECRET, "redirect_uris": [CALLBACK], "id_token_nonce": "x" * 43},
        {"client_id": "baton-no-nonce", "secret": SECRET, "redirect_uris": [CALLBACK], "id_token_nonce": "missing"},
    ]
    db_path = tmp_path_factory.mktemp("oidc") / "provider.sqlite3"
    with running_provider(db_path=db_path, people=people, applications=applications) as base:
        yield base


@pytest.fixture
def corp(provider):
    """Baton's provider "corp": addresses of corp.example only, new accounts for invited people only."""
    return SocialApp.objects.create(
        provider="openid_connect",
        provider_id="corp",
        name="Corp sign-in",
        client_id="baton",
        secret=SECRET,
        settings={"server_url": f"{provider}/o", "allowed_domains": ["corp.example"], "signup": sso.INVITED},
    )


def _hidden_inputs(html: str) -> dict:
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)
    return {name: unescape(value) for name, value in found}


def sign_in_at_provider(client, username, *, next_url=None, consent=True, tamper_state=False):
    """Start single sign-on in Baton, sign in at the provider, and bring its answer back to Baton."""
    start = reverse("openid_connect_login", kwargs={"provider_id": "corp"})
    response = client.post(f"{start}?{urlencode({'next': next_url})}" if next_url else start)
    assert response.status_code == 302, response.content[:500]
    authorize = response.url
    query = dict(parse_qsl(urlsplit(authorize).query))
    assert query["state"] and query["code_challenge_method"] == "S256"
    assert len(query["nonce"]) >= 43  # a fresh random nonce, kept with the state
    browser = requests.Session()
    answer = browser.get(authorize, allow_redirects=False, timeout=10)
    login_url = urljoin(authorize, answer.headers["Location"])
    form = _hidden_inputs(browser.get(login_url, timeout=10).text)
    answer = browser.post(
        login_url,
        data={**form, "username": username, "password": PASSWORD},
        allow_redirects=False,
        timeout=10,
    )
    answer = browser.get(urljoin(login_url, answer.headers["Location"]), allow_redirects=False, timeout=10)
    if answer.status_code == 200:  # the provider asks the person to allow Baton
        fields = _hidden_inputs(answer.text)
        if consent:
            fields["allow"] = "Authorize"
        answer = browser.post(answer.url, data=fields, allow_redirects=False, timeout=10)
    callback = answer.headers["Location"]
    assert callback.startswith(CALLBACK), callback
    parts = urlsplit(callback)
    params = dict(parse_qsl(parts.query))
    if tamper_state:
        params["state"] = "not-the-state-baton-sent"
    return client.get(parts.path, params)


def signed_in_user(client):
    return client.session.get("_auth_user_id")


def test_a_person_with_an_account_signs_in_through_the_provider(client, corp):
    ann = UserFactory(username="ann.lee", email="ann@corp.example")
    response = sign_in_at_provider(client, "ann")
    assert response.status_code == 302 and response.url == reverse("advocacy:program_list")
    assert signed_in_user(client) == str(ann.pk)
    assert SocialAccount.objects.get(user=ann).provider == "corp"
    # Next time the connected account is found directly.
    client.post(reverse("logout"))
    sign_in_at_provider(client, "ann")
    assert signed_in_user(client) == str(ann.pk)


def test_an_invited_person_gets_an_account_and_accepts_the_invitation(client, corp, program, manager):
    invitations.invite_people(program=program, actor=manager, addresses="newbie@corp.example")
    token = invitations.token_for(program.invitations.get())
    page = reverse("advocacy:invitation_accept", args=[token])
    response = sign_in_at_provider(client, "newbie", next_url=page)
    assert response.status_code == 302 and response.url == page
    newbie = User.objects.get(email="newbie@corp.example")
    assert newbie.first_name == "Nina" and not newbie.has_usable_password()
    assert client.post(page).url == program.get_absolute_url()
    assert Membership.objects.filter(program=program, user=newbie).exists()


def test_someone_not_invited_gets_no_account_when_the_provider_says_invited_only(client, corp):
    response = sign_in_at_provider(client, "stranger")
    assert response.status_code == 403
    assert sso.NOT_INVITED % {"email": "stranger@corp.example"} in response.content.decode()
    assert not User.objects.filter(email="stranger@corp.example").exists()
    assert signed_in_user(client) is None


def test_a_provider_open_for_sign_up_creates_the_account(client, corp):
    corp.settings = {**corp.settings, "signup": sso.OPEN}
    corp.save()
    sign_in_at_provider(client, "stranger")
    assert signed_in_user(client) == str(User.objects.get(email="stranger@corp.example").pk)


def test_an_unverified_e_mail_is_refused(client, corp):
    UserFactory(username="shady", email="shady@corp.example")  # must not be taken over
    response = sign_in_at_provider(client, "shady")
    assert response.status_code == 403
    assert "did not confirm that shady@corp.example is your address" in response.content.decode()
    assert signed_in_user(client) is None


def test_an_address_of_another_domain_is_refused(client, corp):
    UserFactory(username="eve", email="eve@elsewhere.example")
    response = sign_in_at_provider(client, "eve")
    assert response.status_code == 403
    assert "Addresses of elsewhere.example cannot sign in with Corp sign-in." in response.content.decode()
    assert signed_in_user(client) is None


def test_a_wrong_state_is_refused(client, corp):
    UserFactory(username="ann.lee", email="ann@corp.example")
    response = sign_in_at_provider(client, "ann", tamper_state=True)
    assert "Single sign-on did not work" in response.content.decode()
    assert signed_in_user(client) is None


def test_the_id_token_carries_the_nonce_of_this_sign_in(client, corp):
    ann = UserFactory(username="ann.lee", email="ann@corp.example")
    sign_in_at_provider(client, "ann")
    assert signed_in_user(client) == str(ann.pk)
    claims = SocialAccount.objects.get(user=ann).extra_data["id_token"]
    assert len(claims["nonce"]) >= 43
    # Each sign-in sends a nonce of its own.
    client.post(reverse("logout"))
    sign_in_at_provider(client, "ann")
    assert SocialAccount.objects.get(user=ann).extra_data["id_token"]["nonce"] != claims["nonce"]


@pytest.mark.parametrize("client_id", ["baton-wrong-nonce", "baton-no-nonce"])
def test_an_id_token_with_a_wrong_or_no_nonce_is_refused(client, corp, client_id):
    corp.client_id = client_id
    corp.settings = {**corp.settings, "signup": sso.OPEN}
    corp.save()
    ann = UserFactory(username="ann.lee", email="ann@corp.example")
    response = sign_in_at_provider(client, "ann")
    assert response.status_code == 403
    assert sso.NONCE_MISMATCH % {"provider": "Corp sign-in"} in unescape(response.content.decode())
    assert signed_in_user(client) is None
    assert not SocialAccount.objects.filter(user=ann).exists()
    # Nor is an account made for someone new, even where sign-up is open.
    response = sign_in_at_provider(client, "stranger")
    assert response.status_code == 403
    assert not User.objects.filter(email="stranger@corp.example").exists()
    assert signed_in_user(client) is None


def test_a_refusal_at_the_provider_is_shown_plainly(client, corp):
    corp.client_id = "baton-consent"
    corp.save()
    UserFactory(username="ann.lee", email="ann@corp.example")
    response = sign_in_at_provider(client, "ann", consent=False)  # the person refuses at the provider
    assert response.status_code == 302 and response.url == reverse("socialaccount_login_cancelled")
    assert "cancelled" in client.get(response.url).content.decode().lower()
    assert signed_in_user(client) is None


def test_an_error_from_the_provider_is_shown_plainly(client, corp):
    corp.secret = "not-the-secret"  # the provider refuses to exchange the code
    corp.save()
    UserFactory(username="ann.lee", email="ann@corp.example")
    response = sign_in_at_provider(client, "ann")
    assert response.status_code == 401
    assert "Single sign-on did not work" in response.content.decode()
    assert signed_in_user(client) is None


def test_the_sign_in_page_offers_the_provider(client, corp):
    page = client.get(reverse("login")).content.decode()
    assert "Sign in with Corp sign-in" in page
    assert reverse("openid_connect_login", kwargs={"provider_id": "corp"}) in page


def test_the_sign_in_page_lets_its_provider_buttons_lead_to_the_provider(client, corp, provider, member):
    # Browsers hold the button's redirect to the page's form-action: without the provider there, it is blocked.
    policy = client.get(reverse("login")).headers["Content-Security-Policy"]
    form_action = next(d for d in policy.split(";") if d.strip().startswith("form-action"))
    assert form_action.split()[1:] == ["'self'", provider]
    client.force_login(member)
    policy = client.get(reverse("advocacy:program_list")).headers["Content-Security-Policy"]
    assert provider not in policy


def test_a_provider_trusted_for_its_domains_signs_in_an_address_it_does_not_mark_verified(client, corp):
    # Microsoft Entra ID sends no email_verified: the tenant's administrators own the company's addresses.
    shady = UserFactory(username="shady", email="shady@corp.example")
    corp.settings = {**corp.settings, "trust_email": True}
    corp.save()
    sign_in_at_provider(client, "shady")
    assert signed_in_user(client) == str(shady.pk)


@pytest.mark.parametrize(
    ("settings_json", "trusted"),
    [
        ({"server_url": "https://login.microsoftonline.com/t-1/v2.0", "allowed_domains": ["corp.example"]}, True),
        ({"server_url": "https://login.microsoftonline.com/t-1/v2.0", "allowed_domains": []}, False),
        ({"server_url": "https://login.microsoftonline.com/common/v2.0", "allowed_domains": ["corp.example"]}, False),
        ({"server_url": "https://login.microsoftonline.com/organizations/v2.0", "allowed_domains": ["x.io"]}, False),
    ],
)
def test_trust_email_needs_allowed_domains_and_a_single_tenant(settings_json, trusted):
    app = SocialApp(provider="openid_connect", provider_id="entra", name="Entra", settings=settings_json)
    app.settings["trust_email"] = True
    assert sso.options_for(app).trust_email is trusted
