"""Case references come from one upsert per report (incidents.services.reference_next): the
first of a school's year is 0001, each next one adds one, and two reports sent at the same
moment never share a number."""

from __future__ import annotations

import threading

import pytest
from django.db import connections, transaction
from django.utils import timezone

from incidents.models import ReferenceCounter
from incidents.services import reference_next
from tests.factories import ReferenceCounterFactory


@pytest.mark.django_db
def test_the_first_reference_of_a_year_is_0001_and_the_next_adds_one(school, other_school):
    year = timezone.localdate().year
    with transaction.atomic():
        assert reference_next(school=school) == f"WPS-{year}-0001"
        assert reference_next(school=school) == f"WPS-{year}-0002"
        first_other = reference_next(school=other_school)
    assert first_other.endswith(f"-{year}-0001")
    assert ReferenceCounter.objects.get(school=school, year=year).last == 2


@pytest.mark.django_db
def test_last_years_counter_is_left_alone_and_this_year_starts_again(school):
    year = timezone.localdate().year
    ReferenceCounterFactory(school=school, year=year - 1, last=418)
    with transaction.atomic():
        assert reference_next(school=school) == f"WPS-{year}-0001"
    assert ReferenceCounter.objects.get(school=school, year=year - 1).last == 418


@pytest.mark.django_db
def test_a_counter_that_has_run_on_carries_on_from_where_it_was(school):
    year = timezone.localdate().year
    ReferenceCounterFactory(school=school, year=year, last=9999)
    with transaction.atomic():
        assert reference_next(school=school) == f"WPS-{year}-10000"


@pytest.mark.django_db(transaction=True)
def test_a_reference_is_only_taken_inside_the_reports_transaction(school):
    with pytest.raises(RuntimeError, match="inside a transaction"):
        reference_next(school=school)
    assert not ReferenceCounter.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reports_at_the_same_moment_get_different_numbers(school):
    """The first holds the counter's row until it commits; the second waits, then counts on."""
    first_took = threading.Event()
    release_first = threading.Event()
    numbers: list[str] = []
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                numbers.append(reference_next(school=school))
                first_took.set()
                release_first.wait(10)
        except BaseException as error:  # pragma: no cover - shown if the test fails
            errors.append(error)
        finally:
            connections.close_all()

    def second() -> None:
        try:
            first_took.wait(10)
            with transaction.atomic():
                numbers.append(reference_next(school=school))
        except BaseException as error:  # pragma: no cover - shown if the test fails
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    threads[1].join(0.5)
    assert threads[1].is_alive(), "the second report should wait for the first's row lock"
    release_first.set()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    year = timezone.localdate().year
    assert numbers == [f"WPS-{year}-0001", f"WPS-{year}-0002"]
