"""A task on a case for a named colleague, with a due date; done once, by them or SLT."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from incidents.models import Case


class CaseTask(models.Model):
    """ "Phone the parent", "collect statements": one member of staff's job on a case.

    Made and marked done through the case workflow (`casetasks.services`), so each step is a
    line of the case's chronology. The title is read by its assignee on their dashboard and
    in a reminder email: it may not name the reporter (`services.task_add` refuses it)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="tasks")
    title = models.CharField(max_length=200)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="case_tasks"
    )
    due_on = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [
            # "Your tasks" on the dashboard and the daily reminders: open tasks by due date,
            # per assignee and for everyone.
            models.Index(
                fields=["assigned_to", "due_on"],
                condition=Q(done_at__isnull=True),
                name="casetask_open_by_assignee",
            ),
            models.Index(
                fields=["due_on"], condition=Q(done_at__isnull=True), name="casetask_open_due"
            ),
        ]

    # Set by the selectors for a page, never stored: the title with the reporter hidden, and
    # on the case page whether the assignee may still open the case and the reader finish it.
    shown_title: str
    assignee_lost: bool
    may_finish: bool

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.done_at is not None
