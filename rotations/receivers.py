"""Signal receivers: rotations listens to advocacy, never the other way round."""

from . import services


def roster_changed(sender, membership, change, actor=None, **kwargs) -> None:
    services.on_membership_changed(membership=membership, change=change, actor=actor)
