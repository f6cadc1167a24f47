"""Every letters URL × every role × own school / other school (hand-written matrix).
Office staff reach letters and batches to print, never case content or drafts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from letters import services
from tests.factories import LetterFactory, PersonFactory, PrintBatchFactory, triaged_case
from tests.helpers import access_failures, url_names

R, NF, NA, OK = 302, 404, 405, 200
# fmt: off
EXPECTED = {
    #                     anon slt  dsl  office trust other
    "queue":            ((R,  OK,  NF,  OK,    OK,   OK), None),
    "batch-create":     ((R,  NA,  NA,  NA,    NA,   NA), None),
    "batch-pdf":        ((R,  OK,  NF,  OK,    OK,   NF), (R, NF, NF, NF, NF, OK)),
    "batch-printed":    ((R,  NA,  NA,  NA,    NA,   NA), None),
    "batch-retry":      ((R,  NA,  NA,  NA,    NA,   NA), None),
    "batch-cancel":     ((R,  NA,  NA,  NA,    NA,   NA), None),
    "batch-sent":       ((R,  NA,  NA,  NA,    NA,   NA), None),
    "templates":        ((R,  OK,  NF,  NF,    OK,   OK), None),
    "settings":         ((R,  OK,  NF,  NF,    OK,   OK), None),
    "settings-logo":    ((R,  NF,  NF,  NF,    NF,   NF), None),
    "template-edit":    ((R,  OK,  NF,  NF,    OK,   OK), None),
    "template-reset":   ((R,  NA,  NA,  NA,    NA,   NA), None),
    "case-letters":     ((R,  OK,  NF,  NF,    OK,   NF), (R, NF, NF, NF, NF, OK)),
    "new":              ((R,  OK,  NF,  NF,    OK,   NF), (R, NF, NF, NF, NF, OK)),
    "detail":           ((R,  OK,  NF,  NF,    OK,   NF), (R, NF, NF, NF, NF, OK)),
    "preview":          ((R,  OK,  NF,  NF,    OK,   NF), (R, NF, NF, NF, NF, OK)),
    "approve":          ((R,  NA,  NA,  NA,    NA,   NA), None),
    "retry":            ((R,  NA,  NA,  NA,    NA,   NA), None),
    "correct":          ((R,  NA,  NA,  NA,    NA,   NA), None),
    "pdf":              ((R,  OK,  NF,  OK,    OK,   NF), (R, NF, NF, NF, NF, OK)),
    "printed":          ((R,  NA,  NA,  NA,    NA,   NA), None),
    "sent":             ((R,  NA,  NA,  NA,    NA,   NA), None),
}
# fmt: on


def test_every_letters_url_is_in_the_matrix():
    assert url_names("letters") == set(EXPECTED)


def ready_letter(school, head):
    person = PersonFactory(school=school, full_name="A Parent", address="1 Road")
    letter = LetterFactory(case=triaged_case(school, head, person=person), actor=head, ready=True)
    batch = PrintBatchFactory(letters=[letter], actor=head)
    services.batch_assemble(batch_id=batch.pk)
    return letter, batch


def url_for(name, letter, batch):
    if name.startswith("batch-") and name != "batch-create":
        kwargs = {"pk": batch.pk}
    elif name in ("template-edit", "template-reset"):
        kwargs = {"kind": "warning"}
    elif name == "case-letters":
        kwargs = {"reference": letter.case.reference}
    elif name == "new":
        kwargs = {"reference": letter.case.reference, "kind": "warning"}
    elif name in ("queue", "batch-create", "templates", "settings", "settings-logo"):
        kwargs = {}
    else:
        kwargs = {"pk": letter.pk}
    return reverse(f"letters:{name}", kwargs=kwargs)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_letters_access(client, school, other_school, head, other_head, personas, name):
    objects = {"own": ready_letter(school, head), "other": ready_letter(other_school, other_head)}
    users = personas
    failures = []
    for which, expected in zip(("own", "other"), EXPECTED[name], strict=True):
        if expected is None:
            continue
        url = url_for(name, *objects[which])
        failures += access_failures(client, users, url, expected, f"on {which} {url}")
    assert not failures, "\n".join(failures)
