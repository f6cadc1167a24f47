"""The admin shows the records that never change through it and offers no way to change them."""

from __future__ import annotations

import pytest
from django.contrib import admin

from schoolconduct.admin import ReadOnlyMixin

# Written out by hand: every model the admin shows read-only (the logs, the chronology, the
# outbox, letters, bars and the second factors, which change through their own services).
READ_ONLY = {
    "schoolconduct.notification",
    "incidents.case",
    "incidents.caseevent",
    "incidents.accesslog",
    "incidents.report",
    "incidents.evidence",
    "letters.lettertemplate",
    "letters.letter",
    "letters.printbatch",
    "measures.siteban",
    "measures.banreview",
    "measures.contactrestriction",
    "records.disposallog",
    "staffauth.secondfactorreset",
    "mfa.authenticator",
    "security.lockoutrelease",
}


def test_exactly_these_models_are_read_only_in_the_admin():
    read_only = {
        model._meta.label_lower
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, ReadOnlyMixin)
    }
    assert read_only == READ_ONLY


@pytest.mark.django_db
@pytest.mark.parametrize("label", sorted(READ_ONLY))
def test_a_superuser_can_add_change_or_delete_none_of_them(client, django_user_model, label):
    client.force_login(django_user_model.objects.create_superuser("root", "r@x.example", "pw"))
    app_label, model_name = label.split(".")
    assert client.get(f"/admin/{app_label}/{model_name}/add/").status_code == 403
    model_admin = next(a for m, a in admin.site._registry.items() if m._meta.label_lower == label)
    request = client.get(f"/admin/{app_label}/{model_name}/").wsgi_request
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
