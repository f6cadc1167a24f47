"""The print queue: a letter is batched once, a batch per delivery method, cancelling returns
its letters, blank pages keep each letter on its own sheets, printed and sent are recorded with
who and when, and the queue warns about letters waiting longer than the school's target."""

from __future__ import annotations

import datetime
import io
import threading

import pytest
from django.db import close_old_connections
from django.utils import timezone
from pypdf import PdfReader

from letters import services
from letters.models import Letter, LetterStatus, PrintBatch
from tests.factories import DETAILS


def ready(case, head, parent, method="post", **details) -> Letter:
    letter = services.letter_draft(
        case=case,
        kind="reminder",
        actor=head,
        details={**DETAILS, **details},
        delivery_method=method,
        person=parent,
    )
    services.letter_approve(letter=letter, actor=head)
    assert services.letter_render(letter_id=letter.pk)
    letter.refresh_from_db()
    return letter


def batch_pages(batch: PrintBatch) -> list[str]:
    batch.refresh_from_db()
    with batch.pdf.open("rb") as f:
        return [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(f.read())).pages]


@pytest.mark.django_db
def test_a_letter_in_a_batch_leaves_ready_and_cannot_be_batched_again(case, head, parent, office):
    letter = ready(case, head, parent)
    (batch,) = services.batch_create(school=case.school, letters=[letter], actor=office)
    letter.refresh_from_db()
    assert letter.status == LetterStatus.BATCHED and letter.batch == batch
    with pytest.raises(services.LetterError, match="already in one"):
        services.batch_create(school=case.school, letters=[letter], actor=office)
    assert PrintBatch.objects.count() == 1
    step = case.events.filter(kind="letter").order_by("-pk").first()
    assert step.data["step"] == "batched" and step.actor == office


@pytest.mark.django_db
def test_one_batch_per_delivery_method_and_email_letters_are_not_batched(
    case, head, parent, office
):
    post, hand, email = (ready(case, head, parent, m) for m in ("post", "hand", "email"))
    batches = services.batch_create(school=case.school, letters=[post, hand, email], actor=office)
    assert {(b.delivery_method, tuple(b.letter_ids)) for b in batches} == {
        ("post", (post.pk,)),
        ("hand", (hand.pk,)),
    }
    email.refresh_from_db()
    assert email.status == LetterStatus.READY and email.batch is None


@pytest.mark.django_db
def test_cancelling_a_batch_returns_its_letters_and_is_recorded(case, head, parent, office):
    letters = [ready(case, head, parent) for _ in range(2)]
    (batch,) = services.batch_create(school=case.school, letters=letters, actor=office)
    assert services.batch_assemble(batch_id=batch.pk)
    assert services.batch_cancel(batch=batch, actor=office) == 2
    batch.refresh_from_db()
    assert batch.status == PrintBatch.Status.CANCELLED and batch.cancelled_by == office
    assert batch.cancelled_at is not None and batch.letter_ids == [lt.pk for lt in letters]
    assert set(Letter.objects.values_list("status", flat=True)) == {LetterStatus.READY}
    assert case.events.filter(kind="letter", data__step="unbatched").count() == 2
    # Back in the queue, they can be batched again; a cancelled batch can't be printed.
    (again,) = services.batch_create(school=case.school, letters=letters, actor=office)
    assert again.pk != batch.pk
    with pytest.raises(services.LetterError, match="not ready to print"):
        services.batch_mark_printed(batch=batch, actor=office)
    with pytest.raises(services.LetterError, match="can't be cancelled"):
        services.batch_cancel(batch=batch, actor=office)


@pytest.mark.django_db
def test_a_printed_batch_cannot_be_cancelled(case, head, parent, office):
    (batch,) = services.batch_create(
        school=case.school, letters=[ready(case, head, parent)], actor=office
    )
    services.batch_assemble(batch_id=batch.pk)
    services.batch_mark_printed(batch=batch, actor=office)
    with pytest.raises(services.LetterError, match="printed: it can't be cancelled"):
        services.batch_cancel(batch=batch, actor=office)


@pytest.mark.django_db
def test_every_letter_starts_on_an_odd_page_after_an_optional_cover_sheet(
    case, head, parent, office
):
    long = "\n\n".join("Please keep the group friendly. " * 20 for _ in range(8))
    two_pages = ready(case, head, parent, conduct_summary=long)
    one_page = ready(case, head, parent)
    assert (two_pages.pdf_pages, one_page.pdf_pages) == (2, 1)
    also_one = ready(case, head, parent)
    letters = [one_page, two_pages, also_one]
    (batch,) = services.batch_create(
        school=case.school, letters=letters, actor=office, cover_sheet=True
    )
    assert services.batch_assemble(batch_id=batch.pk)
    texts = batch_pages(batch)
    # cover, blank | two-page letter | one-page letter, blank | one-page letter
    assert "Print batch" in texts[0] and "3 letters to post" in texts[0]
    assert case.reference in texts[0] and "Mr Jason Turner" in texts[0]
    assert texts[1] == ""
    assert "Page 1 of 2" in texts[2] and "Page 2 of 2" in texts[3]
    assert "Page 1 of 1" in texts[4] and texts[5] == ""
    assert "Page 1 of 1" in texts[6]
    assert len(texts) == 7 and batch.page_count == 7
    # Every letter starts on an odd page (1-based) for double-sided printing.
    starts = [i + 1 for i, t in enumerate(texts) if "Page 1 of" in t]
    assert all(n % 2 == 1 for n in starts)


@pytest.mark.django_db
def test_without_a_cover_the_first_letter_is_page_one(case, head, parent, office):
    letters = [ready(case, head, parent) for _ in range(2)]
    (batch,) = services.batch_create(school=case.school, letters=letters, actor=office)
    services.batch_assemble(batch_id=batch.pk)
    texts = batch_pages(batch)
    assert "Page 1 of 1" in texts[0] and texts[1] == "" and "Page 1 of 1" in texts[2]
    assert len(texts) == 3  # no blank page after the last letter


@pytest.mark.django_db
def test_printed_and_sent_recorded_for_the_whole_batch_with_who_and_when(
    client, case, head, parent, office
):
    letters = [ready(case, head, parent) for _ in range(2)]
    (batch,) = services.batch_create(school=case.school, letters=letters, actor=office)
    services.batch_assemble(batch_id=batch.pk)
    with pytest.raises(services.LetterError, match="must be printed before"):
        services.batch_mark_sent(batch=batch, actor=office, sent_on=timezone.localdate())
    assert services.batch_mark_printed(batch=batch, actor=office) == 2
    today = timezone.localdate()
    with pytest.raises(services.LetterError, match="can't be in the future"):
        services.batch_mark_sent(
            batch=batch, actor=office, sent_on=today + datetime.timedelta(days=1)
        )
    assert services.batch_mark_sent(batch=batch, actor=office, sent_on=today) == 2
    batch.refresh_from_db()
    assert batch.status == PrintBatch.Status.SENT and batch.sent_by == office
    for letter in Letter.objects.all():
        assert letter.status == LetterStatus.SENT and letter.sent_method == "post"
        assert letter.printed_by == office and letter.sent_by == office
        assert letter.printed_at and letter.sent_at and letter.sent_on == today
    with pytest.raises(services.LetterError, match="must be printed before"):
        services.batch_mark_sent(batch=batch, actor=office, sent_on=today)
    # The case shows it.
    client.force_login(head)
    page = client.get(f"/staff/cases/{case.reference}/").text
    assert "printed" in page and "Olivia Price" in page and "sent (post)" in page


@pytest.mark.django_db
def test_a_letter_is_recorded_printed_once(case, head, parent, office):
    letter = ready(case, head, parent)
    assert services.letters_mark_printed(letters=[letter], actor=office) == 1
    assert services.letters_mark_printed(letters=[letter], actor=office) == 0
    assert case.events.filter(kind="letter", data__step="printed").count() == 1


@pytest.mark.django_db
def test_the_queue_shows_method_addressee_and_age_and_warns_past_the_target(
    client, case, head, parent, office, time_machine
):
    school = case.school
    school.letter_queue_target_days = 3
    school.save(update_fields=["letter_queue_target_days"])
    time_machine.move_to(datetime.datetime(2026, 11, 2, 10, 0, tzinfo=datetime.UTC))
    ready(case, head, parent, "hand")
    # On the target day itself: no warning; one day over: a warning naming the letter.
    time_machine.move_to(datetime.datetime(2026, 11, 5, 10, 0, tzinfo=datetime.UTC))
    client.force_login(office)
    page = client.get("/staff/letters/").text
    assert "By hand" in page and "Mr Jason Turner" in page and "3 days" in page
    assert "queue-overdue" not in page
    time_machine.move_to(datetime.datetime(2026, 11, 6, 10, 0, tzinfo=datetime.UTC))
    client.force_login(office)
    page = client.get("/staff/letters/").text
    assert "waiting longer than the school's target" in page
    assert "4 days — over target" in page.replace("<strong>", "").replace("</strong>", "")


@pytest.mark.django_db
def test_the_office_cancels_a_batch_from_the_queue(client, case, head, parent, office):
    letter = ready(case, head, parent)
    client.force_login(office)
    client.post("/staff/letters/batches/", {"letters": [letter.pk], "cover_sheet": "on"})
    batch = PrintBatch.objects.get()
    assert batch.cover_sheet
    assert "Cancel batch" in client.get("/staff/letters/").text
    response = client.post(f"/staff/letters/batches/{batch.pk}/cancel/", follow=True)
    assert "back in “Ready to print”" in response.text
    letter.refresh_from_db()
    assert letter.status == LetterStatus.READY
    assert client.get(f"/staff/letters/batches/{batch.pk}/cancel/").status_code == 405


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_batching_at_once_cannot_both_take_a_letter(case, head, parent, office):
    letters = [ready(case, head, parent) for _ in range(3)]
    start = threading.Barrier(2)
    results: list[object] = []

    def batch_them():
        try:
            start.wait()
            results.append(services.batch_create(school=case.school, letters=letters, actor=office))
        except services.LetterError as error:
            results.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=batch_them) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    made = [r for r in results if isinstance(r, list)]
    refused = [r for r in results if isinstance(r, services.LetterError)]
    assert len(made) == 1 and len(refused) == 1, results
    assert PrintBatch.objects.count() == 1
    assert Letter.objects.filter(batch=made[0][0], status=LetterStatus.BATCHED).count() == 3


@pytest.mark.django_db
def test_each_batch_step_says_how_many_letters_it_moved(client, case, head, parent, office):
    letters = [ready(case, head, parent) for _ in range(2)]
    client.force_login(office)
    ids = [lt.pk for lt in letters]
    created = client.post("/staff/letters/batches/", {"letters": ids}, follow=True).text
    batch = PrintBatch.objects.get()
    assert f"Print batch {batch.pk} (post) with 2 letters created." in created
    assert services.batch_assemble(batch_id=batch.pk)
    printed = client.post(f"/staff/letters/batches/{batch.pk}/printed/", follow=True).text
    assert "2 letters marked as printed." in printed
    sent = client.post(
        f"/staff/letters/batches/{batch.pk}/sent/",
        {"sent_on": timezone.localdate().isoformat()},
        follow=True,
    ).text
    assert f"Batch {batch.pk}: 2 letters recorded as sent." in sent
    # A step the batch has passed: the service's reason, and no count.
    again = client.post(f"/staff/letters/batches/{batch.pk}/printed/", follow=True).text
    assert "marked as printed." not in again and "alert-danger" in again
    # One letter: no plural.
    one = ready(case, head, parent)
    client.post("/staff/letters/batches/", {"letters": [one.pk]})
    single = PrintBatch.objects.latest("pk")
    cancelled = client.post(f"/staff/letters/batches/{single.pk}/cancel/", follow=True).text
    assert f"Batch {single.pk} cancelled: 1 letter back in “Ready to print”." in cancelled


@pytest.mark.django_db
def test_each_batch_step_is_saved_with_its_fields_and_written_on_the_chronology(
    case, head, parent, office
):
    letter = ready(case, head, parent)
    (first,) = services.batch_create(school=case.school, letters=[letter], actor=office)
    services.batch_cancel(batch=first, actor=office)
    letter.refresh_from_db()
    assert letter.batch is None and letter.status == LetterStatus.READY
    (second,) = services.batch_create(school=case.school, letters=[letter], actor=office)
    assert services.batch_assemble(batch_id=second.pk)
    assert services.batch_mark_printed(batch=second, actor=office) == 1
    day = timezone.localdate()
    assert services.batch_mark_sent(batch=second, actor=office, sent_on=day) == 1
    letter.refresh_from_db()
    assert (letter.status, letter.batch, letter.printed_by, letter.sent_by) == (
        LetterStatus.SENT,
        second,
        office,
        office,
    )
    assert letter.printed_at is not None and letter.sent_at is not None
    assert (letter.sent_method, letter.sent_on) == ("post", day)
    about = f"{letter.get_kind_display()} to Mr Jason Turner"
    steps = case.events.filter(kind="letter").exclude(data__step__in=["drafted", "approved"])
    steps = steps.order_by("pk")
    assert [(e.data["step"], e.summary, e.actor) for e in steps] == [
        ("batched", f"{about} put in print batch {first.pk}", office),
        ("unbatched", f"{about} back in the print queue: batch {first.pk} cancelled", office),
        ("batched", f"{about} put in print batch {second.pk}", office),
        ("printed", f"{about} printed", office),
        ("sent", f"{about} sent (post, {day:%-d %B %Y})", office),
    ]
