"""The names Django admin shows for the project's models read as plain English plurals."""

import re

import pytest
from django.contrib import admin

PROJECT_APPS = {"core", "advocacy", "rotations", "issues", "insights"}
# What Django's default (the singular plus "s") gets wrong ("settingss", "entrys", "leaves"), and "email" where the pages say "e-mail".
WRONG = re.compile(r"(ss|[^aeiou]ys|leaves)$|\bemail")


def _project_models():
    return [model for model in admin.site._registry if model._meta.app_label in PROJECT_APPS]


def test_every_project_model_in_admin_has_a_plain_plural():
    wrong = [
        f"{model._meta.label}: {model._meta.verbose_name_plural}"
        for model in _project_models()
        if WRONG.search(str(model._meta.verbose_name_plural))
    ]
    assert wrong == []


@pytest.mark.parametrize(
    ("label", "plural"),
    [
        ("rotations.RotationSettings", "rotation settings"),
        ("rotations.LedgerEntry", "ledger entries"),
        ("rotations.Leave", "leave"),
        ("issues.IssueSettings", "issue settings"),
        ("issues.TrackingLinkEmail", "tracking link e-mails"),
    ],
)
def test_admin_names_the_awkward_plurals_in_english(label, plural):
    model = next(m for m in _project_models() if m._meta.label == label)
    assert model._meta.verbose_name_plural == plural
