"""Every model of the registry can be reached in the Django admin, and every admin page renders."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests.factories import SiteAdminFactory

pytestmark = pytest.mark.django_db


def _inline_models() -> set:
    return {inline.model for model_admin in admin.site._registry.values() for inline in model_admin.inlines}


def test_every_registry_model_is_registered_or_edited_inline():
    models = [*apps.get_app_config("diseases").get_models(), *apps.get_app_config("outcomes").get_models()]
    reachable = set(admin.site._registry) | _inline_models()
    missing = [model.__name__ for model in models if model not in reachable]
    assert missing == []


def test_every_admin_changelist_renders_for_staff(client, reference_data):
    client.force_login(SiteAdminFactory())
    for model in admin.site._registry:
        if model._meta.app_label not in {"diseases", "outcomes"}:
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("model_name", ["rating", "itemresult", "participation", "outboxmessage", "registrydump"])
def test_rows_changed_only_by_services_cannot_be_added_in_the_admin(client, reference_data, model_name):
    client.force_login(SiteAdminFactory())
    assert client.get(reverse(f"admin:outcomes_{model_name}_add")).status_code == 403
