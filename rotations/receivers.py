"""Signal receivers: rotations listens to advocacy, never the other way round."""

from . import services


def roster_changed(sender, membership, change, actor=None, **kwargs) -> None:
    services.on_membership_changed(membership=membership, change=change, actor=actor)


def program_saved(sender, instance, created, **kwargs) -> None:
    """Keep future term boundaries right when a program's time zone or handoff time changes."""
    if created or kwargs.get("raw"):
        return
    previous = getattr(instance, "_rotations_boundary_key", None)
    current = (instance.time_zone, instance.handoff_time)
    if previous is not None and previous != current:
        services.reschedule_program_terms(program=instance)
    instance._rotations_boundary_key = current


def program_loaded(sender, instance, **kwargs) -> None:
    # Read the loaded values directly: a query with .only() defers these fields,
    # and touching a deferred field here would load the row again, recursively.
    values = instance.__dict__
    if "time_zone" in values and "handoff_time" in values:
        instance._rotations_boundary_key = (values["time_zone"], values["handoff_time"])
