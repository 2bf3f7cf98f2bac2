"""A member signs in, opens the program page, reads the role and thanks a colleague."""

import pytest

from advocacy.models import Membership, ThanksNote
from tests.factories import MembershipFactory, ProgramFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_member_signs_in_sees_the_program_and_says_thanks(page, live_server, sign_in, password):
    program = ProgramFactory(name="Support Desk", slug="support-desk")
    dana = MembershipFactory(
        program=program, user__username="dana", user__first_name="Dana", user__last_name="Whitfield"
    ).user
    MembershipFactory(
        program=program,
        role=Membership.Role.MANAGER,
        user=UserFactory(username="maria", first_name="Maria", last_name="Keller"),
    )
    ProgramFactory(name="Secret Team", slug="secret-team")

    sign_in(page, "dana", password)
    assert page.get_by_role("heading", name="My programs").is_visible()
    assert page.get_by_text("Secret Team").count() == 0

    page.get_by_role("link", name="Support Desk").click()
    # Wait for the program page: the list page has a "Support Desk" heading too, and is_visible() does not wait.
    page.wait_for_url("**/programs/support-desk/")
    assert page.get_by_role("heading", name="Support Desk").is_visible()
    assert page.get_by_role("listitem").filter(has_text="Maria Keller").is_visible()

    page.get_by_label("Thank", exact=False).and_(page.locator("select")).select_option(label="Maria Keller")
    page.get_by_label("Message").fill("Thanks for taking the Albers call.")
    page.get_by_role("button", name="Say thanks").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Thanks sent to Maria Keller.").is_visible()
    assert page.get_by_text("Thanks for taking the Albers call.").is_visible()
    assert ThanksNote.objects.get().sender == dana

    page.get_by_role("link", name="Read the role description").click()
    assert page.get_by_role("heading", name="Qualities of a strong advocate").is_visible()
    assert page.get_by_text("Has courage").is_visible()


def test_someone_signed_out_is_asked_to_sign_in_and_a_wrong_password_is_explained(page, live_server):
    UserFactory(username="sam")
    page.goto(f"{live_server.url}/programs/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in", exact=True).click()
    assert page.get_by_text("The username and/or password you specified are not correct.").is_visible()
    assert page.get_by_role("link", name="Forgot your password?").is_visible()
