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


ACCESS_LOG = """{% for entry in access_log %}<li>{{ entry.at|date:"j M Y H:i" }} · {{ entry.user.get_full_name|default:entry.user.username }} · {{ entry.get_action_display|lower }}</li>{% endfor %}"""

MERGE_BOXES = """<div>
      {% for candidate in form.candidates %}
      <div class="form-check">
        <input type="checkbox" class="form-check-input" name="sources" value="{{ candidate.case.pk }}" id="id_sources_{{ forloop.counter0 }}">
        <label for="id_sources_{{ forloop.counter0 }}" class="form-check-label">{{ candidate.label }}</label>
      </div>
      {% endfor %}
    </div>"""


@pytest.mark.parametrize("count", [0, 1, 4])
def test_the_access_log_is_the_markup_the_template_gave(count):
    from incidents.models import AccessLog

    User = get_user_model()
    users = [User(username="x<y>&'z\""), User(username="b", first_name=NASTY, last_name="Lé")]
    at = timezone.make_aware(datetime.datetime(2026, 6, 1, 23, 30), datetime.UTC)
    entries = [
        AccessLog(user=users[n % 2], action=action, at=at + datetime.timedelta(hours=n))
        for n, action in enumerate([*AccessLog.Action.values, "not-an-action"][:count])
    ]
    before = Template(ACCESS_LOG).render(Context({"access_log": entries}))
    now = Template("{% load case_page %}{% access_log_items access_log %}")
    assert now.render(Context({"access_log": entries})) == before
    if count == 4:
        assert "x&lt;y&gt;&amp;&#x27;z&quot;" in before and "2 Jun 2026 00:30" in before


def test_the_merge_boxes_are_the_markup_the_template_gave():
    from incidents.merging import Candidate
    from incidents.models import Case

    candidates = [
        Candidate(
            case=Case(pk=12345 + n, reference=f"WPS-2026-{n}<&>"),
            where=NASTY,
            posted_on=datetime.date(2026, 5, n + 1) if n else None,
            excerpt=f"“{NASTY}” & more",
            person="Pat <Parent>",
            likely_duplicate=bool(n % 2),
            carries_flag=n == 2,
            is_post=n != 1,
        )
        for n in range(4)
    ]

    class Form:
        pass

    form = Form()
    form.candidates = candidates  # type: ignore[attr-defined]
    before = Template(MERGE_BOXES).render(Context({"form": form}))
    now = Template(
        "{% load case_page %}<div>\n      {% merge_candidate_boxes form.candidates %}\n    </div>"
    )
    assert now.render(Context({"form": form})) == before
    assert "O&#x27;Brien &amp; &lt;Sons&gt;" in before and 'value="12348"' in before
