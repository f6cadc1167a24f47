"""Rows written once: a second save is refused with the model's own error and words; the
append-only ones refuse deleting too, the others may be deleted (a retention trim)."""

from __future__ import annotations

import pytest

from letters.models import LetterTemplate
from schoolconduct.models import ImmutableRecordError
from security.models import LockoutRelease
from staffauth.models import SecondFactorReset
from tests.factories import (
    LetterTemplateFactory,
    LockoutReleaseFactory,
    SecondFactorResetFactory,
)


@pytest.mark.django_db
def test_a_template_version_is_never_saved_again_but_may_be_deleted():
    template = LetterTemplateFactory()
    template.title = "Changed"
    with pytest.raises(ImmutableRecordError, match="Templates are versioned"):
        template.save()
    assert LetterTemplate.objects.get().title != "Changed"
    template.delete()
    assert not LetterTemplate.objects.exists()


@pytest.mark.django_db
def test_a_recorded_unlock_is_never_changed_and_goes_only_when_trimmed():
    record = LockoutReleaseFactory()
    record.username = "someone-else"
    with pytest.raises(ValueError, match="A recorded unlock is never changed"):
        record.save()
    LockoutRelease.objects.all().delete()
    assert not LockoutRelease.objects.exists()


@pytest.mark.django_db
def test_the_second_factor_reset_log_refuses_saving_and_deleting_a_row():
    entry = SecondFactorResetFactory()
    for attempt in (entry.save, entry.delete):
        with pytest.raises(PermissionError, match="reset log is append-only"):
            attempt()
    assert SecondFactorReset.objects.get() == entry
