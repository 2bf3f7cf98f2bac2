import factory

from insights.models import Recognition, TermReport

from .advocacy import ProgramFactory, UserFactory
from .rotations import TermFactory

__all__ = ["TermReportFactory", "RecognitionFactory"]


class TermReportFactory(factory.django.DjangoModelFactory):
    """A stored report row; tests of behaviour build reports through insights.reports.build_term_report."""

    class Meta:
        model = TermReport

    term = factory.SubFactory(TermFactory, status="completed")
    program = factory.LazyAttribute(lambda r: r.term.program)
    advocate = factory.LazyAttribute(lambda r: r.term.advocate)
    figures = factory.LazyFunction(lambda: {"version": 1, "resolved": 0, "outreach": 0, "handed_on": 0})
    qualities = factory.LazyFunction(lambda: ["Has courage — raises uncomfortable truths.", "Says thanks often"])


class RecognitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recognition

    program = factory.SubFactory(ProgramFactory)
    recipient = factory.SubFactory(UserFactory)
    given_by = factory.SubFactory(UserFactory)
    note = "Brought three customers back."
