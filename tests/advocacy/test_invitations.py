"""Invitations: a manager brings people in by e-mail; links are used once and say plainly when they cannot be."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from advocacy import invitations
from advocacy.models import Invitation, Membership, Notification
from core.models import OutboxMessage
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


def invite(program, manager, addresses, **kwargs):
    return invitations.invite_people(program=program, actor=manager, addresses=addresses, **kwargs)


def test_a_pasted_list_is_split_on_lines_commas_and_names(db):
    text = "ann@example.com, ben@example.com\nCarla Diaz <carla@example.com>;dan@example.com\n\nANN@example.com"
    assert invitations.parse_addresses(text) == [
        "ann@example.com",
        "ben@example.com",
        "carla@example.com",
        "dan@example.com",
    ]


def test_inviting_three_people_sends_each_a_mail_naming_the_inviter_and_the_program(
    program, manager, run_jobs, settings
):
    settings.SITE_URL = "https://baton.example.com"
    program.description = "We answer the support line for bakeries."
    program.save()
    manager.first_name, manager.last_name = "Maria", "Manager"
    manager.save()
    batch = invite(program, manager, "ann@example.com\nben@example.com, carla@example.com", is_eligible=False)
    assert [r.outcome for r in batch.results] == [invitations.INVITED] * 3
    assert Invitation.objects.filter(program=program, is_eligible=False).count() == 3
    assert not mail.outbox  # sent by a worker, through the outbox
    assert run_jobs() == [True, True, True]
    assert sorted(m.to[0] for m in mail.outbox) == ["ann@example.com", "ben@example.com", "carla@example.com"]
    message = mail.outbox[0]
    assert message.subject == "Maria Manager invited you to Support Desk on Baton"
    assert "We answer the support line for bakeries." in message.body
    assert "https://baton.example.com/invitations/" in message.body
    assert "14 days" in message.body
    assert run_jobs() == []  # each sent once
    assert Invitation.objects.filter(emailed_at__isnull=False).count() == 3


def test_people_with_an_account_are_added_at_once_and_told(program, manager, run_jobs):
    ann = UserFactory(username="ann", email="Ann@Example.com")
    batch = invite(program, manager, "ann@example.com", role=Membership.Role.MANAGER)
    assert [r.outcome for r in batch.results] == [invitations.ADDED]
    assert Membership.objects.get(program=program, user=ann).role == Membership.Role.MANAGER
    assert not Invitation.objects.exists()
    note = Notification.objects.get(user=ann, kind="added_to_program")
    assert "added you to Support Desk" in note.title
    run_jobs()
    assert [m.to for m in mail.outbox] == [["Ann@Example.com"]]


def test_members_and_open_invitations_are_skipped_and_said_so(program, manager, member):
    invite(program, manager, "new@example.com")
    batch = invite(program, manager, f"{member.email}, new@example.com, other@example.com")
    assert [(r.outcome, r.message) for r in batch.results] == [
        (invitations.SKIPPED, invitations.ALREADY_MEMBER),
        (invitations.SKIPPED, invitations.ALREADY_INVITED),
        (invitations.INVITED, invitations.INVITED_NOTE),
    ]
    assert Invitation.objects.count() == 2


def test_five_hundred_addresses_with_some_invalid_write_nothing_and_say_which(program, manager):
    addresses = [f"person{n}@example.com" for n in range(497)] + ["not-an-address", "x" * 250 + "@e.com", "a@@b"]
    existing = UserFactory(username="has-account", email="person3@example.com")
    before = (Membership.objects.count(), OutboxMessage.objects.count(), Notification.objects.count())
    with pytest.raises(invitations.InvitationBatchError) as refused:
        invite(program, manager, "\n".join(addresses))
    results = refused.value.batch.results
    assert len(results) == 500
    invalid = {r.email: r.message for r in results if r.outcome == invitations.INVALID}
    assert invalid == {
        "not-an-address": invitations.NOT_AN_ADDRESS,
        "x" * 250 + "@e.com": invitations.ADDRESS_TOO_LONG,
        "a@@b": invitations.NOT_AN_ADDRESS,
    }
    assert not Invitation.objects.exists()
    assert (Membership.objects.count(), OutboxMessage.objects.count(), Notification.objects.count()) == before
    assert not Membership.objects.filter(user=existing).exists()


def test_five_hundred_good_addresses_are_invited_in_one_go_and_more_are_refused(
    program, manager, django_assert_max_num_queries
):
    with django_assert_max_num_queries(530):  # one outbox row per invitation, the rest in bulk
        batch = invite(program, manager, ",".join(f"p{n}@example.com" for n in range(500)))
    assert batch.count(invitations.INVITED) == 500 == Invitation.objects.count()
    with pytest.raises(ValidationError, match="at most 500"):
        invite(program, manager, ",".join(f"q{n}@example.com" for n in range(501)))


def test_only_managers_invite(program, member):
    with pytest.raises(PermissionDenied):
        invite(program, member, "ann@example.com")


def _token(program, manager, address="new@example.com"):
    invite(program, manager, address)
    invitation = Invitation.objects.get(email=address)
    return invitation, invitations.token_for(invitation)


def test_following_the_link_a_newcomer_sets_a_name_and_password_and_lands_on_the_program(
    client, program, manager, password
):
    program.description = "We answer the support line for bakeries."
    program.save()
    invitation, token = _token(program, manager)
    url = reverse("advocacy:invitation_accept", args=[token])
    page = client.get(url).content.decode()
    assert "Join Support Desk" in page and "We answer the support line for bakeries." in page
    assert manager.get_full_name() in page
    response = client.post(
        url, {"first_name": "Nora", "last_name": "New", "password1": password, "password2": password}
    )
    assert response.status_code == 302 and response.url == program.get_absolute_url()
    nora = User.objects.get(email="new@example.com")
    assert nora.get_full_name() == "Nora New" and nora.check_password(password)
    assert Membership.objects.get(program=program, user=nora).role == Membership.Role.MEMBER
    assert EmailAddress.objects.get(user=nora).verified
    assert client.get(program.get_absolute_url()).status_code == 200  # signed in
    invitation.refresh_from_db()
    assert invitation.accepted_by == nora
    # Used once.
    client.logout()
    again = client.get(url)
    assert again.status_code == 410 and invitations.LINK_USED in again.content.decode()


def test_a_weak_password_is_refused_and_creates_nobody(client, program, manager):
    _, token = _token(program, manager)
    url = reverse("advocacy:invitation_accept", args=[token])
    response = client.post(url, {"first_name": "Nora", "password1": "12345678", "password2": "12345678"})
    assert response.status_code == 200 and "too common" in response.content.decode()
    assert not User.objects.filter(email="new@example.com").exists()


def test_a_signed_in_person_joins_with_one_click(client_for, program, manager, outsider):
    _, token = _token(program, manager, "outsider.at.home@example.com")  # another address of theirs
    client = client_for(outsider)
    url = reverse("advocacy:invitation_accept", args=[token])
    assert "Join Support Desk" in client.get(url).content.decode()
    response = client.post(url)
    assert response.url == program.get_absolute_url()
    assert Membership.objects.filter(program=program, user=outsider).exists()


def test_someone_with_an_account_is_asked_to_sign_in_first(client, program, manager, other_program):
    # Invited before the account existed (an invitation to an address with an account adds at once).
    invitation, token = _token(program, manager, "late@example.com")
    UserFactory(username="late", email="late@example.com")
    url = reverse("advocacy:invitation_accept", args=[token])
    page = client.get(url).content.decode()
    assert "Sign in to accept" in page
    response = client.post(url, {"first_name": "X", "password1": "a-Strong-pass-1", "password2": "a-Strong-pass-1"})
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert User.objects.filter(email="late@example.com").count() == 1


@pytest.mark.parametrize("tamper", ["", "x", "forged:token", "WzEsImFiYyJd:1abcde:xyz"])
def test_a_forged_link_says_so_plainly(client, program, manager, tamper):
    _, token = _token(program, manager)
    forged = tamper or token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = client.get(reverse("advocacy:invitation_accept", args=[forged]))
    assert response.status_code == 404
    assert invitations.LINK_FORGED in response.content.decode()


def test_an_expired_link_says_so_and_a_resend_gives_a_new_one(client, client_for, program, manager, run_jobs):
    invitation, old = _token(program, manager)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = client.get(reverse("advocacy:invitation_accept", args=[old]))
    assert response.status_code == 410 and "has expired" in response.content.decode()
    run_jobs()
    mail.outbox.clear()
    manager_client = client_for(manager)
    manager_client.post(reverse("advocacy:invitation_resend", args=[program.slug, invitation.pk]))
    run_jobs()
    [message] = mail.outbox
    invitation.refresh_from_db()
    new = invitations.token_for(invitation)
    assert new != old and new in message.body
    assert invitation.expires_at > timezone.now() + timedelta(days=13)
    manager_client.logout()
    assert client.get(reverse("advocacy:invitation_accept", args=[new])).status_code == 200
    replaced = client.get(reverse("advocacy:invitation_accept", args=[old]))
    assert replaced.status_code == 410 and invitations.LINK_REPLACED in replaced.content.decode()


def test_a_revoked_link_says_so(client, client_for, program, manager):
    invitation, token = _token(program, manager)
    client_for(manager).post(reverse("advocacy:invitation_revoke", args=[program.slug, invitation.pk]))
    client.logout()
    response = client.get(reverse("advocacy:invitation_accept", args=[token]))
    assert response.status_code == 410 and "withdrawn" in response.content.decode()
    response = client.post(
        reverse("advocacy:invitation_accept", args=[token]),
        {"first_name": "N", "password1": "a-Strong-pass-1", "password2": "a-Strong-pass-1"},
    )
    assert response.status_code == 410 and not User.objects.filter(email="new@example.com").exists()


def test_a_link_joins_only_its_own_program(client_for, program, manager, other_program, outsider):
    _, token = _token(program, manager)
    newcomer = UserFactory(username="newcomer", email="someone@example.com")
    client_for(newcomer).post(reverse("advocacy:invitation_accept", args=[token]))
    assert list(Membership.objects.filter(user=newcomer).values_list("program__slug", flat=True)) == [program.slug]
    # Another program's manager can neither resend nor revoke it.
    invitation = Invitation.objects.get()
    client = client_for(outsider)
    for name in ("advocacy:invitation_resend", "advocacy:invitation_revoke"):
        assert client.post(reverse(name, args=[other_program.slug, invitation.pk])).status_code == 404
        assert client.post(reverse(name, args=[program.slug, invitation.pk])).status_code == 404


def test_the_members_page_lists_pending_invitations_with_resend_and_revoke(client_for, program, manager):
    invite(program, manager, "ann@example.com, ben@example.com")
    page = client_for(manager).get(reverse("advocacy:member_list", args=[program.slug])).content.decode()
    assert "2 pending invitations" in page
    assert "ann@example.com" in page and "ben@example.com" in page
    assert page.count(">Resend<") == 2 and page.count(">Revoke<") == 2


def test_the_invite_page_shows_each_address_result_when_it_refuses(client_for, program, manager):
    client = client_for(manager)
    url = reverse("advocacy:member_invite", args=[program.slug])
    response = client.post(url, {"addresses": "ann@example.com\nnope", "role": "member", "is_eligible": "on"})
    page = response.content.decode()
    assert response.status_code == 200 and invitations.NOTHING_SENT in page
    assert "nope" in page and invitations.NOT_AN_ADDRESS in page
    assert not Invitation.objects.exists()
    response = client.post(url, {"addresses": "ann@example.com, ben@example.com", "role": "member"})
    assert response.status_code == 302
    assert Invitation.objects.filter(is_eligible=False).count() == 2


def test_a_mail_server_failure_leaves_the_invitation_unsent_and_the_sweep_sends_it(
    program, manager, run_jobs, refusing_mail_server, settings
):
    invite(program, manager, "ann@example.com")
    [result] = run_jobs()
    assert isinstance(result, Exception)
    invitation = Invitation.objects.get()
    assert invitation.emailed_at is None and invitation.email_attempts == 1 and invitation.email_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    later = timezone.now() + invitations.EMAIL_RETRY_AFTER * 2
    assert invitations.requeue_unsent_invitation_emails(now=later) == 1
    assert run_jobs() == [True]
    assert [m.to for m in mail.outbox] == [["ann@example.com"]]


def test_an_invited_address_counts_as_invited_until_used_revoked_or_expired(program, manager):
    invitation, token = _token(program, manager)
    assert invitations.is_invited("NEW@example.com")
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    assert not invitations.is_invited("new@example.com")


def test_a_second_member_of_a_program_with_the_same_role_is_unchanged_by_a_stale_link(client_for, program, manager):
    invitation, token = _token(program, manager, "twice@example.com")
    person = UserFactory(username="twice", email="twice@example.com")
    MembershipFactory(program=program, user=person, role=Membership.Role.MANAGER)
    client_for(person).post(reverse("advocacy:invitation_accept", args=[token]))
    assert Membership.objects.get(program=program, user=person).role == Membership.Role.MANAGER
