"""Which notices a person can choose to receive by e-mail, kind by kind.

Every notice is always shown in the app. What also comes by e-mail is chosen
on the profile page, one switch per choice registered here. Advocacy does not
know the notices of the apps above it: each app registers its own choices
(with their wording and the notification kinds they cover) in its
AppConfig.ready(), as it registers its program panels. A kind no choice
covers is always e-mailed.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class EmailChoice:
    """One switch on the profile page: `key` is stored, `label` is what the person reads."""

    key: str
    label: str
    kinds: frozenset[str]
    help_text: str = ""


_CHOICES: dict[str, EmailChoice] = {}
_BY_KIND: dict[str, EmailChoice] = {}


def register_email_choice(*, key: str, label: str, kinds: set[str] | frozenset[str], help_text: str = "") -> None:
    """Offer a profile switch for e-mails of these notification kinds (registering the same key again replaces it)."""
    choice = EmailChoice(key=key, label=label, kinds=frozenset(kinds), help_text=help_text)
    for kind in choice.kinds:
        owner = _BY_KIND.get(kind)
        if owner is not None and owner.key != key:
            raise ValueError(f"Notification kind {kind!r} is already covered by the e-mail choice {owner.key!r}.")
    _CHOICES[key] = choice
    for kind in choice.kinds:
        _BY_KIND[kind] = choice


def email_choices() -> list[EmailChoice]:
    """Return the registered e-mail choices, in the order they were registered."""
    return list(_CHOICES.values())


def email_choice_for_kind(kind: str) -> EmailChoice | None:
    """Return the choice that covers notification `kind`, or None (always e-mailed)."""
    return _BY_KIND.get(kind)
