"""The mapping's path language and the rule for a bad rating."""

from decimal import Decimal

import pytest

from integrations.mapping import extract, judge, raw, resolve_path

DATA = {
    "customer": {"firstName": "Sam", "lastName": "Sample", "emails": [{"value": "sam@example.com"}]},
    "answers": [{"type": "number", "number": 3}, {"type": "email", "email": "s@example.com"}],
    "nested": {"list": [{"field": {"ref": "nps"}, "number": 0}]},
    "flag": True,
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("customer.firstName", "Sam"),
        ("customer.emails.0.value", "sam@example.com"),
        ("customer.emails.5.value", None),
        ("answers[type=email].email", "s@example.com"),
        ("answers[type=text].text", None),
        ("nested.list[field.ref=nps].number", 0),
        ("customer.firstName.more", None),
        ("", DATA),
    ],
)
def test_paths(path, expected):
    assert resolve_path(DATA, path) == expected


def test_templates_join_several_values_and_vanish_when_all_are_missing():
    assert extract(DATA, "{customer.firstName} {customer.lastName}") == "Sam Sample"
    assert extract(DATA, "{customer.middle} {customer.lastName}") == "Sample"
    assert extract(DATA, "https://x.example/{customer.missing}") == ""
    assert extract(DATA, "customer") == ""  # an object is not text
    assert extract(DATA, "flag") == "yes"


def test_a_number_rule_and_a_words_rule():
    assert judge(value=2, field="r", bad_values="", bad_at_most=Decimal(2)).bad
    assert not judge(value="2.5", field="r", bad_values="", bad_at_most=Decimal(2)).bad
    assert judge(value="Bad, I'm unsatisfied", field="r", bad_values="bad", bad_at_most=None).bad
    assert not judge(value="Badge", field="r", bad_values="bad", bad_at_most=None).bad
    assert not judge(value="Great", field="r", bad_values="bad, not good", bad_at_most=None).bad
    assert raw(DATA, "answers[type=number].number") == 3


@pytest.mark.parametrize("value", [None, "", "  "])
def test_no_rating_is_a_reason(value):
    with pytest.raises(ValueError, match="No rating"):
        judge(value=value, field="rating", bad_values="", bad_at_most=Decimal(2))


@pytest.mark.parametrize("value", ["awful", "NaN", "Infinity", {"a": 1}])
def test_a_rating_that_is_no_number_is_a_reason(value):
    with pytest.raises(ValueError, match="not a number"):
        judge(value=value, field="rating", bad_values="", bad_at_most=Decimal(2))
