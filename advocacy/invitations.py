"""Invitations: a manager brings people into a program by e-mail, without an administrator.

The business rules of inviting, resending, revoking and accepting live here,
like the rest of the services: keyword-only arguments, one transaction each,
messages a person understands (constants the pages and tests reuse).

A batch of addresses is all or nothing: every address is checked first, and if
any cannot be invited nothing is written and each address gets its own result.
People who already have an account are added straight away and told; everyone
else gets an e-mail with a link valid `INVITATION_DAYS` days, sent by a worker
through the outbox. The link is a signed token of the invitation's id and
nonce, so a forged or edited link is refused without a database lookup, and a
resend (a new nonce) retires the old link.
"""

import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Final

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from core.edge import single_line
from core.outbox import enqueue, enqueue_missing
from core.zones import activate_zone

from . import hooks
from .hooks import MembershipChange
from .models import INVITATION_DAYS, Invitation, Membership, Program
from .notifications import failure_reason, notify
from .permissions import require_manager
from .selectors import display_name

User = get_user_model()

SEND_TASK: Final = "advocacy.tasks.send_invitation_email"
MAX_ADDRESSES: Final = 500
EMAIL_MAX_ATTEMPTS: Final = 5
EMAIL_RETRY_AFTER: Final = timedelta(minutes=2)
TOKEN_SALT: Final = "advocacy.invitation"  # noqa: S105 — a signing namespace, not a secret (SECRET_KEY signs)

# Results per address.
INVITED: Final = "invited"
ADDED: Final = "added"
SKIPPED: Final = "skipped"
INVALID: Final = "invalid"

NO_ADDRESSES: Final = "Enter at least one e-mail address."
TOO_MANY: Final = f"Invite at most {MAX_ADDRESSES} addresses at once."
NOT_AN_ADDRESS: Final = "This is not an e-mail address."
ADDRESS_TOO_LONG: Final = "This address is too long."
ALREADY_MEMBER: Final = "Already a member of this program."
ALREADY_INVITED: Final = "Already invited; resend that invitation from the list below."
DEACTIVATED: Final = "This person's account is deactivated; an administrator can reactivate it."
NOTHING_SENT: Final = "Nothing was sent: correct the addresses marked below and try again."
ADDED_NOTE: Final = "Has an account: added now and told."
INVITED_NOTE: Final = "Invitation sent."

LINK_FORGED: Final = "This invitation link is not valid. Check that you copied the whole link from the e-mail."
LINK_REVOKED: Final = (
    "This invitation was withdrawn by the program's managers. Ask them for a new one if you still need it."
)
LINK_EXPIRED: Final = "This invitation has expired (invitations are valid for %(days)s days). Ask the program's managers to send it again."
LINK_USED: Final = "This invitation has been used already. Sign in to open the program."
LINK_REPLACED: Final = "A newer invitation was sent to this address; use the link in the most recent e-mail."
NOT_OPEN: Final = "This invitation is no longer open."
ACCOUNT_EXISTS: Final = "There is already an account for %(email)s. Sign in with it to accept the invitation."
NAME_REQUIRED: Final = "Enter your name as your colleagues know it."


@dataclass
class AddressResult:
    """What became of one address in a batch."""

    email: str
    outcome: str
    message: str = ""


@dataclass
class BatchResult:
    results: list[AddressResult] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def ok(self) -> bool:
        return not any(r.outcome == INVALID for r in self.results)


class InvitationBatchError(ValidationError):
    """Some addresses of a batch cannot be invited; nothing was written. `.batch` says which and why."""

    def __init__(self, message: str, batch: BatchResult):
        super().__init__(message, code="invalid_batch")
        self.batch = batch


class InvitationLinkError(Exception):
    """An invitation link that cannot be used; the message says why, plainly. `status` is the page's."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.message = message
        self.status = status


ADDRESS_SEPARATORS = re.compile(r"[\s,;]+")


def parse_addresses(text: str) -> list[str]:
    """Return the addresses of a pasted list (one per line, or separated by commas), duplicates dropped.

    "Ann Lee <ann@example.com>" counts as ann@example.com.
    """
    text = re.sub(r"[^<>,;\n]*<([^<>]*)>", r" \1 ", text or "")
    seen: dict[str, str] = {}
    for part in ADDRESS_SEPARATORS.split(text):
        part = part.strip().strip("\"'")
        if part and part.lower() not in seen:
            seen[part.lower()] = part
    return list(seen.values())


def _address_problem(address: str) -> str | None:
    if len(address) > 254:
        return ADDRESS_TOO_LONG
    try:
        validate_email(address)
    except ValidationError:
        return NOT_AN_ADDRESS
    return None


def token_for(invitation: Invitation) -> str:
    """Return the signed token of the invitation's current link."""
    return signing.dumps([invitation.pk, invitation.nonce], salt=TOKEN_SALT, compress=False)


def link_for(invitation: Invitation) -> str:
    """Return the absolute address of the invitation's page (SITE_URL)."""
    path = reverse("advocacy:invitation_accept", kwargs={"token": token_for(invitation)})
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def _new_expiry():
    return timezone.now() + timedelta(days=INVITATION_DAYS)


@transaction.atomic
def invite_people(
    *,
    program: Program,
    actor: AbstractBaseUser,
    addresses: str,
    role: str = Membership.Role.MEMBER,
    is_eligible: bool = True,
) -> BatchResult:
    """Invite every address of a pasted list, or none: add those with an account, e-mail the others.

    Raises InvitationBatchError (nothing written) when any address is not
    usable; addresses already members or already invited are skipped and said so.
    """
    require_manager(program=program, actor=actor)
    if role not in Membership.Role.values:
        raise ValidationError("Choose member or manager.", code="invalid_role")
    emails = parse_addresses(addresses)
    if not emails:
        raise ValidationError(NO_ADDRESSES, code="no_addresses")
    if len(emails) > MAX_ADDRESSES:
        raise ValidationError(TOO_MANY, code="too_many")
    # Lock the program so two managers inviting the same people at once do not both succeed.
    program = Program.objects.select_for_update().get(pk=program.pk)
    lowered = [e.lower() for e in emails]
    users = {}
    for user in User.objects.annotate(lower_email=Lower("email")).filter(lower_email__in=lowered).order_by("pk"):
        users.setdefault(user.lower_email, user)
    members = set(Membership.objects.filter(program=program, user__in=users.values()).values_list("user_id", flat=True))
    open_invites = set(
        Invitation.objects.filter(program=program, accepted_at__isnull=True, revoked_at__isnull=True)
        .annotate(lower_email=Lower("email"))
        .filter(lower_email__in=lowered)
        .values_list("lower_email", flat=True)
    )
    batch = BatchResult()
    plan: list[tuple[str, AbstractBaseUser | None]] = []
    for email in emails:
        key = email.lower()
        problem = _address_problem(email)
        user = users.get(key)
        if problem:
            batch.results.append(AddressResult(email, INVALID, problem))
        elif user is not None and user.pk in members:
            batch.results.append(AddressResult(email, SKIPPED, ALREADY_MEMBER))
        elif user is not None and not user.is_active:
            batch.results.append(AddressResult(email, INVALID, DEACTIVATED))
        elif user is None and key in open_invites:
            batch.results.append(AddressResult(email, SKIPPED, ALREADY_INVITED))
        else:
            batch.results.append(AddressResult(email, ADDED if user else INVITED, ADDED_NOTE if user else INVITED_NOTE))
            plan.append((email, user))
    if not batch.ok:
        raise InvitationBatchError(NOTHING_SENT, batch)
    inviter = display_name(actor) if actor.is_authenticated else "Baton"
    new_invitations = []
    for email, user in plan:
        if user is not None:
            membership = Membership(program=program, user=user, role=role, is_eligible=is_eligible)
            membership.full_clean(validate_unique=False)
            membership.save()
            hooks.membership_changed(
                MembershipChange(membership=membership, change=MembershipChange.ADDED, actor=actor)
            )
            notify(
                user=user,
                program=program,
                kind="added_to_program",
                title=f"{inviter} added you to {program.name}",
                body=_program_blurb(program),
                url=program.get_absolute_url(),
                dedupe_key=f"added-to-program:{membership.pk}",
            )
        else:
            new_invitations.append(
                Invitation(
                    program=program,
                    email=email,
                    role=role,
                    is_eligible=is_eligible,
                    invited_by=actor,
                    nonce=secrets.token_hex(16),
                    expires_at=_new_expiry(),
                )
            )
    for invitation in Invitation.objects.bulk_create(new_invitations):
        enqueue(SEND_TASK, args=[invitation.pk])
    return batch


def _program_blurb(program: Program) -> str:
    return program.description.strip() or f"{program.name} takes turns being its customers' advocate."


def _open_invitation(invitation: Invitation, *, actor: AbstractBaseUser) -> Invitation:
    require_manager(program=invitation.program, actor=actor)
    invitation = Invitation.objects.select_for_update().select_related("program").get(pk=invitation.pk)
    if not invitation.is_open:
        raise ValidationError(NOT_OPEN, code="not_open")
    return invitation


@transaction.atomic
def resend_invitation(*, invitation: Invitation, actor: AbstractBaseUser) -> Invitation:
    """Send the invitation again with a new link, valid another `INVITATION_DAYS` days; the old link stops working."""
    invitation = _open_invitation(invitation, actor=actor)
    invitation.nonce = secrets.token_hex(16)
    invitation.expires_at = _new_expiry()
    invitation.emailed_at = None
    invitation.email_attempts = 0
    invitation.email_error = ""
    invitation.save(update_fields=["nonce", "expires_at", "emailed_at", "email_attempts", "email_error"])
    enqueue(SEND_TASK, args=[invitation.pk])
    return invitation


@transaction.atomic
def revoke_invitation(*, invitation: Invitation, actor: AbstractBaseUser) -> Invitation:
    """Withdraw an invitation: its link says so from now on."""
    invitation = _open_invitation(invitation, actor=actor)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    return invitation


def invitation_from_token(token: str, *, lock: bool = False) -> Invitation:
    """Return the open invitation a link names, or raise InvitationLinkError saying plainly why not."""
    try:
        pk, nonce = signing.loads(token, salt=TOKEN_SALT)
        pk = int(pk)
    except (signing.BadSignature, ValueError, TypeError):
        raise InvitationLinkError(LINK_FORGED, 404) from None
    rows = Invitation.objects.select_related("program", "invited_by")
    if lock:
        rows = rows.select_for_update(of=("self",))
    invitation = rows.filter(pk=pk).first()
    if invitation is None:
        raise InvitationLinkError(LINK_FORGED, 404)
    if invitation.accepted_at is not None:
        raise InvitationLinkError(LINK_USED, 410)
    if invitation.revoked_at is not None:
        raise InvitationLinkError(LINK_REVOKED, 410)
    if not secrets.compare_digest(str(nonce), invitation.nonce):
        raise InvitationLinkError(LINK_REPLACED, 410)
    if invitation.expires_at <= timezone.now():
        raise InvitationLinkError(LINK_EXPIRED % {"days": INVITATION_DAYS}, 410)
    return invitation


def account_for(invitation: Invitation) -> AbstractBaseUser | None:
    """Return the account that already uses the invited address, if any."""
    return User.objects.filter(email__iexact=invitation.email).order_by("pk").first()


@transaction.atomic
def accept_invitation(*, token: str, user: AbstractBaseUser) -> Membership:
    """Use an invitation once: `user` joins its program with the role it names (a member already stays as is)."""
    invitation = invitation_from_token(token, lock=True)
    membership = Membership.objects.filter(program=invitation.program, user=user).first()
    if membership is None:
        membership = Membership(
            program=invitation.program, user=user, role=invitation.role, is_eligible=invitation.is_eligible
        )
        membership.full_clean(validate_unique=False)
        membership.save()
        hooks.membership_changed(MembershipChange(membership=membership, change=MembershipChange.ADDED, actor=user))
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    if invitation.email.lower() == (user.email or "").lower():
        # Following the link proved the address.
        EmailAddress.objects.filter(user=user, email__iexact=invitation.email).update(verified=True)
    return membership


def _free_username(email: str) -> str:
    base = slugify(email.partition("@")[0])[:140] or "member"
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


@transaction.atomic
def join_with_invitation(*, token: str, first_name: str, last_name: str, password: str) -> AbstractBaseUser:
    """Create the invitee's account (the invited address, verified by the link) and accept the invitation."""
    invitation = invitation_from_token(token, lock=True)
    if account_for(invitation) is not None:
        raise ValidationError(ACCOUNT_EXISTS, params={"email": invitation.email}, code="account_exists")
    first_name, last_name = single_line(first_name).strip(), single_line(last_name).strip()
    if not first_name:
        raise ValidationError({"first_name": ValidationError(NAME_REQUIRED, code="name_required")})
    user = User(username=_free_username(invitation.email), email=invitation.email, first_name=first_name)
    user.last_name = last_name
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password1": error.error_list}) from None
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    EmailAddress.objects.create(user=user, email=invitation.email, primary=True, verified=True)
    accept_invitation(token=token, user=user)
    return user


def is_invited(email: str) -> bool:
    """Return whether `email` has an open, unexpired invitation (single sign-on may then create the account)."""
    return Invitation.objects.filter(
        email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).exists()


def deliver_invitation_email(*, invitation_id: int) -> bool:
    """Send an invitation's e-mail unless it was sent (for its current link) or is no longer open.

    A failed send is counted, its reason kept, and raised again; the sweep
    queues it again up to `EMAIL_MAX_ATTEMPTS` tries.
    """
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("program", "invited_by")
            .filter(
                pk=invitation_id,
                emailed_at__isnull=True,
                accepted_at__isnull=True,
                revoked_at__isnull=True,
                email_attempts__lt=EMAIL_MAX_ATTEMPTS,
            )
            .first()
        )
        if invitation is None:
            return False
        subject, body = render_invitation(invitation)
        invitation.email_attempts += 1
        try:
            send_mail(subject, body, None, [invitation.email])
        except Exception as error:  # the mail server refused, timed out, is down…: count it, keep why
            failure = error
            invitation.email_error = failure_reason(error)
            invitation.save(update_fields=["email_attempts", "email_error"])
        else:
            invitation.emailed_at = timezone.now()
            invitation.save(update_fields=["email_attempts", "emailed_at"])
            return True
    raise failure


def render_invitation(invitation: Invitation) -> tuple[str, str]:
    """Return the subject and text of an invitation e-mail: who invites, to what, what it is for, until when."""
    program = invitation.program
    inviter = display_name(invitation.invited_by) if invitation.invited_by else "A manager"
    activate_zone(program.time_zone)  # the expiry in the program's zone
    context = {
        "invitation": invitation,
        "program": program,
        "inviter": inviter,
        "blurb": _program_blurb(program),
        "link": link_for(invitation),
        "days": INVITATION_DAYS,
        "role": invitation.get_role_display().lower(),
    }
    subject = single_line(f"{inviter} invited you to {program.name} on Baton")[:200]
    return subject, render_to_string("advocacy/invitation_email.txt", context)


def requeue_unsent_invitation_emails(*, now=None) -> int:
    """Queue again the open invitations whose e-mail a mail-server failure left unsent; return how many."""
    now = now or timezone.now()
    pending = Invitation.objects.filter(
        emailed_at__isnull=True,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        email_attempts__lt=EMAIL_MAX_ATTEMPTS,
        expires_at__gt=now,
    ).values_list("pk", flat=True)
    return enqueue_missing(SEND_TASK, list(pending[:500]), since=now - EMAIL_RETRY_AFTER)


def pending_invitations(*, program: Program):
    """Return the program's open invitations (expired ones too, to resend), newest first."""
    return program.invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True).select_related("invited_by")
