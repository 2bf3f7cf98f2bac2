"""A manager invites three people; one follows the e-mail's link, sets a name and password, and lands on the program."""

import re

import pytest
from django.core import mail

from advocacy import invitations
from advocacy.models import Invitation, Membership
from tests.factories import MembershipFactory, ProgramFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_manager_invites_three_and_one_joins(browser, page, live_server, sign_in, password, settings):
    settings.SITE_URL = live_server.url
    program = ProgramFactory(name="Support Desk", slug="support-desk", description="We answer the bakery line.")
    MembershipFactory(
        program=program,
        role=Membership.Role.MANAGER,
        user=UserFactory(username="maria", first_name="Maria", last_name="Keller"),
    )
    sign_in(page, "maria", password)
    page.goto(f"{live_server.url}/programs/support-desk/members/")
    page.get_by_label("E-mail addresses").fill("ann@example.com, ben@example.com\ncarla@example.com")
    page.get_by_role("button", name="Send invitations").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Invited 3 people by e-mail.").is_visible()
    assert page.get_by_role("heading", name="3 pending invitations").is_visible()

    ben = Invitation.objects.get(email="ben@example.com")
    mail.outbox.clear()
    assert invitations.deliver_invitation_email(invitation_id=ben.pk)  # what the worker does
    [message] = mail.outbox
    assert "Maria Keller invited you to Support Desk" in message.subject
    link = re.search(r"http://\S+/invitations/\S+/", message.body).group(0)

    newcomer = browser.new_context().new_page()
    newcomer.goto(link)
    assert newcomer.get_by_role("heading", name="Join Support Desk").is_visible()
    assert newcomer.get_by_text("We answer the bakery line.").is_visible()
    newcomer.get_by_label("First name").fill("Ben")
    newcomer.get_by_label("Last name").fill("Brown")
    newcomer.locator("#id_password1").fill("a-Long-passphrase-7")
    newcomer.get_by_label("Password again").fill("a-Long-passphrase-7")
    newcomer.get_by_role("button", name="Join the program").click()
    newcomer.wait_for_url("**/programs/support-desk/")
    assert newcomer.get_by_text("Welcome to Support Desk. You sign in with ben@example.com").is_visible()
    assert newcomer.get_by_role("heading", name="Support Desk").is_visible()
    assert Membership.objects.filter(program=program, user__email="ben@example.com").exists()

    page.reload()
    assert page.get_by_role("heading", name="2 pending invitations").is_visible()
    assert page.get_by_role("link", name="Edit Ben Brown").is_visible()
