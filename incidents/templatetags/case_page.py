"""Repeated rows of the case page written in Python: `{% chronology_items events hidden %}`,
`{% event_kind_options kinds chosen %}`.

The chronology's template loop cost about 0.3 ms an event (a dozen variables and filters
each); this writes the very same markup — every value escaped by format_html, the same
filters (`date`, `linebreaksbr`, `hide_reporter`) — for a fraction of that.
tests/incidents/test_case_page_html.py pins it to the template it replaced.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import linebreaksbr
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]

from incidents.identity import ReporterIdentity

from .reporter import hide_reporter

register = template.Library()

EVENT = (
    '\n    <li class="border-start border-3 ps-3 pb-3">'
    '\n      <p class="small text-body-secondary mb-0">{} · {}{}</p>'
    '\n      <p class="mb-0"><strong>{}</strong></p>'
    "\n      {}\n      {}\n      {}\n      {}"
    "\n    </li>\n  "
)


def _shown(value: Any) -> SafeString:
    """A value as `{{ value }}` shows it (localised, escaped)."""
    value = localize(template_localtime(value))
    return conditional_escape(value if isinstance(value, str) else str(value))


def _data(event: Any, key: str) -> Any:
    """`event.data.<key>` as a template reads it: "" unless the data is an object with it."""
    data = event.data
    return data.get(key) if isinstance(data, dict) else None


def _paragraph(text: Any, hidden: ReporterIdentity | None) -> SafeString | str:
    if not text:
        return ""
    return format_html('<p class="mb-0">{}</p>', linebreaksbr(hide_reporter(text, hidden)))


def chronology_item(event: Any, hidden: ReporterIdentity | None) -> SafeString:
    actor = event.actor.get_full_name() if event.actor is not None else ""
    status = ""
    if event.to_status:
        status = format_html(
            " · {} → {}",
            _shown(event.get_from_status_display() or "—"),
            _shown(event.get_to_status_display()),
        )
    body = _data(event, "body")
    return format_html(
        EVENT,
        _shown(date_filter(template_localtime(event.created_at), "j M Y H:i")),
        _shown(actor or "System"),
        status,
        _shown(hide_reporter(event.summary, hidden)),
        _paragraph(event.rationale, hidden),
        _paragraph(_data(event, "text"), hidden),
        _paragraph(_data(event, "notes"), hidden),
        format_html('<p class="mb-0 fst-italic">“{}”</p>', _shown(hide_reporter(body, hidden)))
        if body
        else "",
    )


@register.simple_tag
def chronology_items(events: list, hidden: ReporterIdentity | None) -> SafeString:
    """The chronology's `<li>`s, as staff/case/_chronology.html wrote them."""
    if not events:
        return mark_safe("<li>No events of this kind.</li>")
    return format_html_join("", "{}", ((chronology_item(event, hidden),) for event in events))


@register.simple_tag
def event_kind_options(kinds: list[tuple[str, Any]], chosen: str) -> SafeString:
    """The chronology filter's `<option>`s after "Everything", the chosen kind selected."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (_shown(value), " selected" if value == chosen else "", _shown(label))
            for value, label in kinds
        ),
    )


@register.simple_tag
def access_log_items(entries: list) -> SafeString:
    """The access log's `<li>`s, as staff/case/_access_log.html wrote them."""
    return format_html_join(
        "",
        "<li>{} · {} · {}</li>",
        (
            (
                _shown(date_filter(template_localtime(entry.at), "j M Y H:i")),
                _shown(entry.user.get_full_name() or entry.user.username),
                _shown(str(entry.get_action_display()).lower()),
            )
            for entry in entries
        ),
    )


MERGE_CANDIDATE = (
    '\n      <div class="form-check">'
    '\n        <input type="checkbox" class="form-check-input" name="sources" value="{}"'
    ' id="id_sources_{}"{}>'
    '\n        <label for="id_sources_{}" class="form-check-label">{}</label>'
    "\n      </div>\n      "
)


@register.simple_tag
def merge_candidate_boxes(candidates: list, chosen: frozenset[str] = frozenset()) -> SafeString:
    """The merge form's checkboxes, as staff/case/_merge_in.html wrote them; `chosen`: the
    case ids ticked in a POST shown again with its errors."""
    return format_html_join(
        "",
        MERGE_CANDIDATE,
        (
            (
                _shown(candidate.case.pk),
                _shown(n),
                " checked" if str(candidate.case.pk) in chosen else "",
                _shown(n),
                _shown(candidate.label),
            )
            for n, candidate in enumerate(candidates)
        ),
    )
