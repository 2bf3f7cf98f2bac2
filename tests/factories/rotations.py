from datetime import timedelta

import factory

from rotations import boundaries
from rotations.models import Cover, Leave, Term

from .advocacy import ProgramFactory, UserFactory

__all__ = ["TermFactory", "LeaveFactory", "CoverFactory"]


class TermFactory(factory.django.DjangoModelFactory):
    """A term whose end and UTC instants follow the program's length, zone and handoff time."""

    class Meta:
        model = Term

    program = factory.SubFactory(ProgramFactory)
    advocate = factory.SubFactory(UserFactory)
    start_date = factory.Faker("date_object")
    end_date = factory.LazyAttribute(lambda t: boundaries.term_end_date(program=t.program, start_date=t.start_date))
    starts_at = factory.LazyAttribute(lambda t: boundaries.boundary(program=t.program, day=t.start_date))
    ends_at = factory.LazyAttribute(lambda t: boundaries.boundary(program=t.program, day=t.end_date))


class LeaveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Leave

    user = factory.SubFactory(UserFactory)
    first_day = factory.Faker("date_object")
    last_day = factory.LazyAttribute(lambda lv: lv.first_day)


class CoverFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cover

    term = factory.SubFactory(TermFactory)
    person = factory.SubFactory(UserFactory)
    first_day = factory.LazyAttribute(lambda c: c.term.start_date)
    last_day = factory.LazyAttribute(lambda c: c.first_day)
    starts_at = factory.LazyAttribute(lambda c: boundaries.boundary(program=c.term.program, day=c.first_day))
    ends_at = factory.LazyAttribute(
        lambda c: boundaries.boundary(program=c.term.program, day=c.last_day + timedelta(days=1))
    )
