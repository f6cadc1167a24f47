"""The print queue's rows written in Python (letters/queue_rows.py): the same HTML as the
template's loops they replace (kept here as they were), escaping, empty values and every
delivery method included."""

from __future__ import annotations

import datetime
import re
from types import SimpleNamespace

import pytest
from django.template import Context, Template

from letters import queue_rows
from tests.factories import LetterFactory

# The loops of letters/queue.html before the rows moved to Python, verbatim.
OVERDUE = Template(
    "{% for row in overdue %}<li>{{ row.kind }} to {{ row.letter.recipient_name }} "
    "({{ row.letter.case.reference }}) — approved {{ row.age_days }} "
    "day{{ row.age_days|pluralize }} ago, {{ row.status|lower }}</li>{% endfor %}"
)
TO_PRINT = Template(
    """{% for row in to_print %}{% with letter=row.letter %}
        <tr{% if row.overdue %} class="queue-overdue"{% endif %}>
          <td><input class="form-check-input" type="checkbox" name="letters" value="{{ letter.pk }}" id="select-{{ letter.pk }}" checked aria-label="Print {{ row.kind|lower }} to {{ letter.recipient_name }}"></td>
          <td><label for="select-{{ letter.pk }}">{{ letter.recipient_name }}</label></td>
          <td>{{ row.method }}</td>
          <td>{{ row.kind }}</td>
          <td>{{ letter.case.reference }}</td>
          {% if many_schools %}<td>{{ letter.case.school.name }}</td>{% endif %}
          <td>{{ letter.approved_by.get_full_name }}, {{ letter.approved_at|date:"j M Y" }}</td>
          <td>{{ row.age_days }} day{{ row.age_days|pluralize }}{% if row.overdue %} <strong>— over target</strong>{% endif %}</td>
          <td>{{ letter.pdf_pages }}</td>
          <td><a href="{% url 'letters:pdf' letter.pk %}">PDF<span class="visually-hidden"> of the letter to {{ letter.recipient_name }}</span></a></td>
        </tr>
      {% endwith %}{% endfor %}"""  # noqa: E501
)
PRINTED = Template(
    """{% for row in printed %}{% with letter=row.letter %}
      <tr{% if row.overdue %} class="queue-overdue"{% endif %}>
        <td>{{ letter.recipient_name }}</td><td>{{ row.method }}</td><td>{{ row.kind }}</td><td>{{ letter.case.reference }}</td>
        <td>{{ letter.printed_at|date:"j M H:i" }} by {{ letter.printed_by.get_full_name }}</td>
        <td>
          <form method="post" action="{% url 'letters:sent' letter.pk %}" class="row g-2 align-items-center">
            {% csrf_token %}<input type="hidden" name="next" value="queue">
            <div class="col-auto"><label class="visually-hidden" for="method-{{ letter.pk }}">How {{ letter.recipient_name }}'s letter was sent</label>
              <select class="form-select form-select-sm" id="method-{{ letter.pk }}" name="method"><option value="post"{% if letter.delivery_method == "post" %} selected{% endif %}>Post</option><option value="hand"{% if letter.delivery_method == "hand" %} selected{% endif %}>By hand</option>{% if letter.recipient_email %}<option value="email"{% if letter.delivery_method == "email" %} selected{% endif %}>Email</option>{% endif %}</select></div>
            <div class="col-auto"><label class="visually-hidden" for="date-{{ letter.pk }}">Date sent</label><input class="form-control form-control-sm" type="date" id="date-{{ letter.pk }}" name="sent_on" value="{{ today_iso }}"></div>
            <div class="col-auto"><button class="btn btn-sm btn-primary" type="submit">Sent to {{ letter.recipient_name }}</button></div>
          </form>
        </td>
      </tr>
    {% endwith %}{% endfor %}"""  # noqa: E501
)


def person(first: str, last: str):
    return SimpleNamespace(get_full_name=lambda: f"{first} {last}".strip())


def rows() -> list[SimpleNamespace]:
    school = SimpleNamespace(name='Willow <Park> & "Sons"')
    made = []
    for i, (name, method, email, overdue, age, approver, when) in enumerate(
        [
            ("Mr <b>Turner</b> & Co", "post", "", True, 5, person("Helen", "Carter"), (6, 30)),
            ('Ms O\'Neil "Jo"', "hand", "jo@example.org", False, 1, None, (3, 1)),
            ("Dr Émile Zoë", "email", "z@example.org", False, 0, person("", ""), (12, 31)),
            ("Mx Plain", "post", "p@example.org", True, 12, person("Ann", "<i>Lee</i>"), None),
        ]
    ):
        at = (
            datetime.datetime(2026, when[0], when[1], 23, 30, tzinfo=datetime.UTC) if when else None
        )
        letter = SimpleNamespace(
            pk=100 + i,
            recipient_name=name,
            recipient_email=email,
            delivery_method=method,
            case=SimpleNamespace(reference=f"WPS-2026-{i:05d}", school=school),
            approved_by=approver,
            approved_at=at,
            printed_by=approver,
            printed_at=at,
            pdf_pages=None if i == 3 else i + 1,
        )
        made.append(
            SimpleNamespace(
                letter=letter,
                age_days=age,
                overdue=overdue,
                kind="Formal <warning>",
                method={"post": "Post", "hand": "By hand", "email": "Email"}[method],
                status="Ready to print & send",
            )
        )
    return made


def test_the_overdue_list_is_the_templates():
    assert str(queue_rows.overdue_items(rows())) == OVERDUE.render(Context({"overdue": rows()}))


@pytest.mark.parametrize("many_schools", [True, False])
def test_the_rows_to_print_are_the_templates(many_schools):
    expected = TO_PRINT.render(Context({"to_print": rows(), "many_schools": many_schools}))
    assert str(queue_rows.print_rows(rows(), many_schools=many_schools)) == expected
    assert "Mr &lt;b&gt;Turner&lt;/b&gt; &amp; Co" in expected and "<b>" not in expected


def test_the_printed_rows_are_the_templates():
    context = Context({"printed": rows(), "today_iso": "2026-12-01", "csrf_token": "tok<en>"})
    expected = PRINTED.render(context)
    got = queue_rows.printed_rows(rows(), csrf_token="tok<en>", today_iso="2026-12-01")
    assert str(got) == expected
    assert "Ms O&#x27;Neil &quot;Jo&quot;" in expected and "tok&lt;en&gt;" in expected


@pytest.mark.django_db
def test_the_queue_page_has_one_csrf_token_for_all_its_forms(client, case, head, parent):
    for method in ("post", "hand", "email"):
        LetterFactory(case=case, actor=head, person=parent, delivery_method=method, ready=True)
    client.force_login(head)
    page = client.get("/staff/letters/").text
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert len(tokens) >= 3 and len(set(tokens)) == 1
