"""The print queue's long lists written in Python: the overdue letters, the letters ready to
print and the printed letters waiting to be sent.

A trust's queue lists a couple of hundred rows, each with a dozen values, a form and a URL;
through the template language that cost most of the page. Here each row is one `format_html`
(every value escaped as the template would), the URLs are reversed once per list, and the
HTML is byte for byte what `letters/queue.html` wrote (`tests/letters/test_queue_rows.py`
compares them with the template's loops).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from incidents.dashboard_html import day_words

_MARKER = 987654321


def _url(name: str) -> tuple[str, str]:
    """A URL taking a letter's id, as (before, after) the id: reversed once per list."""
    before, _, after = reverse(name, args=[_MARKER]).rpartition(str(_MARKER))
    return before, after


class _Dates:
    """`date:"j M H:i"` without Django's formatter per row (the month's abbreviation, in the
    active language, looked up once per month); `date:"j M Y"` is `day_words`."""

    def __init__(self) -> None:
        self.months: dict[int, str] = {}

    def day_time(self, value) -> str:
        if value is None:
            return ""
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        if value.month not in self.months:
            self.months[value.month] = date_format(value, "M")
        return f"{value.day} {self.months[value.month]} {value.hour:02d}:{value.minute:02d}"


def _full_name(user) -> str:
    return user.get_full_name() if user is not None else ""


def _days(n: int) -> str:
    return f"{n} day{'' if n == 1 else 's'}"


def overdue_items(rows: Iterable[Any]) -> SafeString:
    """The `<li>`s of the letters waiting longer than their school's target."""
    return mark_safe(  # noqa: S308 (each item built by format_html)
        "".join(
            format_html(
                "<li>{} to {} ({}) — approved {} ago, {}</li>",
                row.kind,
                row.letter.recipient_name,
                row.letter.case.reference,
                _days(row.age_days),
                row.status.lower(),
            )
            for row in rows
        )
    )


PRINT_ROW = (
    "\n        <tr{}>\n"
    '          <td><input class="form-check-input" type="checkbox" name="letters" value="{}" '
    'id="select-{}" checked aria-label="Print {} to {}"></td>\n'
    '          <td><label for="select-{}">{}</label></td>\n'
    "          <td>{}</td>\n"
    "          <td>{}</td>\n"
    "          <td>{}</td>\n"
    "          {}\n"
    "          <td>{}, {}</td>\n"
    "          <td>{}{}</td>\n"
    "          <td>{}</td>\n"
    '          <td><a href="{}{}{}">PDF<span class="visually-hidden"> of the letter to {}</span>'
    "</a></td>\n"
    "        </tr>\n      "
)
OVERDUE_CLASS = mark_safe(' class="queue-overdue"')
OVER_TARGET = mark_safe(" <strong>— over target</strong>")


def print_rows(rows: Iterable[Any], *, many_schools: bool) -> SafeString:
    """The rows of the "Ready to print" table."""
    pdf_before, pdf_after = _url("letters:pdf")
    out = []
    for row in rows:
        letter = row.letter
        name = letter.recipient_name
        out.append(
            format_html(
                PRINT_ROW,
                OVERDUE_CLASS if row.overdue else "",
                letter.pk,
                letter.pk,
                row.kind.lower(),
                name,
                letter.pk,
                name,
                row.method,
                row.kind,
                letter.case.reference,
                format_html("<td>{}</td>", letter.case.school.name) if many_schools else "",
                _full_name(letter.approved_by),
                day_words(letter.approved_at),
                _days(row.age_days),
                OVER_TARGET if row.overdue else "",
                letter.pdf_pages,
                pdf_before,
                letter.pk,
                pdf_after,
                name,
            )
        )
    return mark_safe("".join(out))  # noqa: S308 (each row built by format_html)


PRINTED_ROW = (
    "\n      <tr{}>\n"
    "        <td>{}</td><td>{}</td><td>{}</td><td>{}</td>\n"
    "        <td>{} by {}</td>\n"
    "        <td>\n"
    '          <form method="post" action="{}{}{}" class="row g-2 align-items-center">\n'
    '            {}<input type="hidden" name="next" value="queue">\n'
    '            <div class="col-auto"><label class="visually-hidden" for="method-{}">How {}\'s '
    "letter was sent</label>\n"
    '              <select class="form-select form-select-sm" id="method-{}" name="method">'
    '<option value="post"{}>Post</option><option value="hand"{}>By hand</option>{}</select>'
    "</div>\n"
    '            <div class="col-auto"><label class="visually-hidden" for="date-{}">Date sent'
    '</label><input class="form-control form-control-sm" type="date" id="date-{}" '
    'name="sent_on" value="{}"></div>\n'
    '            <div class="col-auto"><button class="btn btn-sm btn-primary" type="submit">'
    "Sent to {}</button></div>\n"
    "          </form>\n"
    "        </td>\n"
    "      </tr>\n    "
)
SELECTED = mark_safe(" selected")


def printed_rows(rows: Iterable[Any], *, csrf_token: str, today_iso: str) -> SafeString:
    """The rows of the "Printed, waiting to be sent" table, each with its form (the page's
    CSRF token, as `{% csrf_token %}` writes it)."""
    sent_before, sent_after = _url("letters:sent")
    csrf = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', csrf_token)
    dates = _Dates()
    out = []
    for row in rows:
        letter = row.letter
        name = letter.recipient_name
        method = letter.delivery_method
        email = (
            format_html(
                '<option value="email"{}>Email</option>', SELECTED if method == "email" else ""
            )
            if letter.recipient_email
            else ""
        )
        out.append(
            format_html(
                PRINTED_ROW,
                OVERDUE_CLASS if row.overdue else "",
                name,
                row.method,
                row.kind,
                letter.case.reference,
                dates.day_time(letter.printed_at),
                _full_name(letter.printed_by),
                sent_before,
                letter.pk,
                sent_after,
                csrf,
                letter.pk,
                name,
                letter.pk,
                SELECTED if method == "post" else "",
                SELECTED if method == "hand" else "",
                email,
                letter.pk,
                letter.pk,
                today_iso,
                name,
            )
        )
    return mark_safe("".join(out))  # noqa: S308 (each row built by format_html)
