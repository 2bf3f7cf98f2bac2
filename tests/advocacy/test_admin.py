import pytest
from django.urls import reverse

from advocacy.models import RoleDescription, RoleDescriptionVersion

pytestmark = pytest.mark.django_db


def _form_data(role, **changes):
    version = role.current_version
    data = {
        "name": role.name,
        "is_default": "on" if role.is_default else "",
        "title": version.title,
        "summary": version.summary,
        "mandate": version.mandate,
        "responsibilities": version.responsibilities,
        "qualities": "\n".join(version.qualities),
        "change_note": "",
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": str(role.versions.count()),
        "versions-MIN_NUM_FORMS": "0",
        "versions-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != "" or k != "is_default"}


def test_editing_the_role_in_admin_makes_a_new_version(client_for, superuser):
    role = RoleDescription.objects.get(is_default=True)
    url = reverse("admin:advocacy_roledescription_change", args=[role.pk])
    client = client_for(superuser)
    page = client.get(url).content.decode()
    assert "Version history" in page and "Customer advocate" in page
    response = client.post(url, _form_data(role, title="Voice of the customer", change_note="Shorter title"))
    assert response.status_code == 302, response.content.decode()[:2000]
    versions = list(role.versions.order_by("number").values_list("number", "title", "change_note"))
    assert versions == [(1, "Customer advocate", "Initial version"), (2, "Voice of the customer", "Shorter title")]
    assert RoleDescriptionVersion.objects.get(role=role, number=2).created_by == superuser


def test_saving_without_changes_makes_no_new_version(client_for, superuser):
    role = RoleDescription.objects.get(is_default=True)
    client_for(superuser).post(reverse("admin:advocacy_roledescription_change", args=[role.pk]), _form_data(role))
    assert role.versions.count() == 1


def test_admin_shows_and_restores_an_old_version(client_for, superuser):
    role = RoleDescription.objects.get(is_default=True)
    client = client_for(superuser)
    client.post(reverse("admin:advocacy_roledescription_change", args=[role.pk]), _form_data(role, title="Changed"))
    first = role.versions.get(number=1)
    url = reverse("admin:advocacy_roledescription_version", args=[role.pk, first.pk])
    page = client.get(url).content.decode()
    assert "Restore this version" in page and "Customer advocate" in page
    client.post(url)
    newest = RoleDescription.objects.get(pk=role.pk).current_version
    assert (newest.number, newest.title, newest.change_note) == (3, "Customer advocate", "Restored from version 1")


def test_a_second_default_is_refused_with_a_message(client_for, superuser):
    response = client_for(superuser).post(
        reverse("admin:advocacy_roledescription_add"),
        {
            "name": "Another",
            "is_default": "on",
            "title": "t",
            "mandate": "m",
            "responsibilities": "r",
            "qualities": "q",
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "is already the default" in response.content.decode()
    assert RoleDescription.objects.count() == 1


def test_versions_cannot_be_edited_in_admin(client_for, superuser):
    version = RoleDescriptionVersion.objects.get()
    client = client_for(superuser)
    url = reverse("admin:advocacy_roledescriptionversion_change", args=[version.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"title": "tampered"})
    version.refresh_from_db()
    assert version.title == "Customer advocate"


def test_admin_pages_for_every_model_open(client_for, superuser, program, manager):
    client = client_for(superuser)
    for model in ("program", "membership", "thanksnote", "roledescription", "roledescriptionversion", "notification"):
        assert client.get(reverse(f"admin:advocacy_{model}_changelist")).status_code == 200, model
        if model not in ("roledescriptionversion",):
            assert client.get(reverse(f"admin:advocacy_{model}_add")).status_code == 200, model
