"""Moving the bar and restriction models from incidents to measures keeps every row."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from measures.models import BanStage, ContactRestriction, SiteBan
from tests.factories import triaged_case

BEFORE = [("incidents", "0004_bans_restrictions_reminders"), ("measures", None)]


def migrate(targets, state_at):
    """Migrate the test database to `targets`; the models as they were at `state_at`."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(state_at).apps


@pytest.mark.django_db(transaction=True)
def test_bars_and_restrictions_written_before_the_move_are_there_after_it(school, head):
    case = triaged_case(school, head)
    person = case.persons.create(school=school, full_name="Mr Jason Turner")
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old = migrate(BEFORE, [BEFORE[0]])
    try:
        OldBan = old.get_model("incidents", "SiteBan")
        OldReview = old.get_model("incidents", "BanReview")
        OldRestriction = old.get_model("incidents", "ContactRestriction")
        ban = OldBan.objects.create(
            case_id=case.pk,
            person_id=person.pk,
            school_id=school.pk,
            stage="confirmed",
            reasons="Threats",
            scope="Whole site",
            duration="3 months",
            child_arrangements="Gate handover",
            decision_maker_id=head.pk,
            notice_on=datetime.date(2026, 1, 5),
            representation_deadline=datetime.date(2026, 1, 19),
        )
        OldReview.objects.create(
            ban_id=ban.pk,
            reviewed_on=datetime.date(2026, 2, 1),
            outcome="continue",
            notes="Still needed",
            reviewed_by_id=head.pk,
        )
        OldRestriction.objects.create(
            case_id=case.pk,
            person_id=person.pk,
            school_id=school.pk,
            contact_point="Mrs Price",
            channels="Email",
            reasons="Volume of emails",
            starts_on=datetime.date(2026, 1, 5),
            review_on=datetime.date(2026, 3, 5),
            created_by_id=head.pk,
        )
    finally:
        migrate(latest, latest)
    moved = SiteBan.objects.get(pk=ban.pk)
    assert (moved.stage, moved.case, moved.person) == (BanStage.CONFIRMED, case, person)
    assert [r.notes for r in moved.reviews.all()] == ["Still needed"]
    assert list(case.restrictions.values_list("contact_point", flat=True)) == ["Mrs Price"]
    assert ContactRestriction.objects.count() == 1
    assert ContentType.objects.get_for_model(SiteBan).app_label == "measures"
    assert not ContentType.objects.filter(app_label="incidents", model="siteban").exists()
