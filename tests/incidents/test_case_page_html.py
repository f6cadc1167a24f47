# ruff: noqa: E501 — the template loops are quoted as they were
"""The case page's rows written in Python (incidents/templatetags/case_page.py) give exactly
the markup of the template loops they replaced: names with <, & and quotes, line breaks, the
reporter hidden or not, events with and without an actor, a change of status, data of every
shape."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.template import Context, Template
from django.utils import timezone

from incidents.identity import ReporterIdentity
from incidents.models import CaseEvent, CaseStatus

# The loops as staff/case/_chronology.html wrote them before.
CHRONOLOGY = """{% load reporter %}<ol class="list-unstyled chronology">
  {% for event in events %}
    <li class="border-start border-3 ps-3 pb-3">
      <p class="small text-body-secondary mb-0">{{ event.created_at|date:"j M Y H:i" }} · {{ event.actor.get_full_name|default:"System" }}{% if event.to_status %} · {{ event.get_from_status_display|default:"—" }} → {{ event.get_to_status_display }}{% endif %}</p>
      <p class="mb-0"><strong>{{ event.summary|hide_reporter:hidden_reporter }}</strong></p>
      {% if event.rationale %}<p class="mb-0">{{ event.rationale|hide_reporter:hidden_reporter|linebreaksbr }}</p>{% endif %}
      {% if event.data.text %}<p class="mb-0">{{ event.data.text|hide_reporter:hidden_reporter|linebreaksbr }}</p>{% endif %}
      {% if event.data.notes %}<p class="mb-0">{{ event.data.notes|hide_reporter:hidden_reporter|linebreaksbr }}</p>{% endif %}
      {% if event.data.body %}<p class="mb-0 fst-italic">“{{ event.data.body|hide_reporter:hidden_reporter }}”</p>{% endif %}
    </li>
  {% empty %}<li>No events of this kind.</li>{% endfor %}
  </ol>
<option value="">Everything</option>{% for value, label in event_kinds %}<option value="{{ value }}"{% if value == event_kind %} selected{% endif %}>{{ label }}</option>{% endfor %}"""

NOW = """{% load case_page %}<ol class="list-unstyled chronology">
  {% chronology_items events hidden_reporter %}
  </ol>
<option value="">Everything</option>{% event_kind_options event_kinds event_kind %}"""

NASTY = 'O\'Brien & <Sons> "Quoted"'


def events() -> list[CaseEvent]:
    User = get_user_model()
    named = User(username="a", first_name=NASTY, last_name="Smith")
    nameless = User(username="b")
    at = timezone.make_aware(datetime.datetime(2026, 3, 1, 23, 30), datetime.UTC)  # BST/UTC
    shapes: list = [
        {"text": f"Line one by Pat Parent\nline <two> & {NASTY}", "notes": "a\r\nb", "body": NASTY},
        {"text": "", "notes": None, "body": 0},
        {"body": "Pat Parent wrote <script>alert(1)</script>", "other": 1},
        {"text": 12, "notes": ["x"], "body": 3.5},
        "just text",
        ["text"],
        None,
        {},
    ]
    made = []
    for n, data in enumerate(shapes):
        made.append(
            CaseEvent(
                pk=n + 1,
                kind=CaseEvent.Kind.NOTE,
                actor=[named, nameless, None][n % 3],
                created_at=at + datetime.timedelta(days=40 * n),
                summary=["Note by Pat Parent", NASTY, "", "Plain"][n % 4],
                rationale=["", "Why:\nbecause <b>Pat</b> & co", NASTY, ""][n % 4],
                from_status=["", CaseStatus.NEW, "unknown-status", ""][n % 4],
                to_status=["", CaseStatus.CLOSED, CaseStatus.NEW, "gone"][n % 4],
                data=data,
            )
        )
    return made


@pytest.mark.parametrize("hidden", [None, ReporterIdentity(names=["Pat Parent"], first_names=True)])
@pytest.mark.parametrize("kind", ["", "note", "<nope>"])
@pytest.mark.parametrize("count", [0, 1, 8])
def test_the_chronology_is_the_markup_the_template_gave(hidden, kind, count):
    context = {
        "events": events()[:count],
        "hidden_reporter": hidden,
        "event_kinds": [*CaseEvent.Kind.choices, ("x&y", NASTY)],
        "event_kind": kind,
    }
    before = Template(CHRONOLOGY).render(Context(context))
    assert Template(NOW).render(Context(context)) == before
    if count and hidden:
        assert "Pat Parent" not in before  # the case the reporter is hidden in was tested
    if count == 8:
        assert "&lt;Sons&gt;" in before and "<br>" in before and "System" in before
