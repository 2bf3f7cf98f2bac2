"""Signals other apps listen to, so advocacy never imports them."""

from django.dispatch import Signal

# Sent inside the transaction when a membership is added, changed or removed.
# kwargs: membership (unsaved copy when removed), change ("added", "changed", "removed"), actor.
membership_changed = Signal()
