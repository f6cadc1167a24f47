"""Our own small merge syntax, `[[field_name]]`, over a fixed list of fields.

Templates are written by staff, so they are untrusted: no template engine ever sees them.
A body is sanitised to a few tags with no attributes; placeholders are replaced in a single
pass by HTML-escaped values, so a value is never parsed again (a value that looks like
`[[reporter_name]]` or `<script>` stays text).
"""

from __future__ import annotations

import html
import re

import nh3

from .kinds import FIELDS, REQUIRED, allowed_fields

PLACEHOLDER = re.compile(r"\[\[\s*([a-z_]+)\s*\]\]")
ANY_BRACKETS = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)
TEMPLATE_CODE = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}|\$\{|<%|%>")
ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "u",
    "ul",
    "ol",
    "li",
    "h2",
    "h3",
    "blockquote",
}
# Printed by the letter's layout (letterhead, address block, reference line, signature),
# so a template body need not repeat them; they still need values.
LAYOUT_FIELDS = {
    "letter_date",
    "case_reference",
    "recipient_name",
    "delivery_method",
    "signatory_name",
    "signatory_title",
    "school_name",
    "school_address",
    "school_phone",
    "school_email",
}


def sanitise(body: str) -> str:
    """Keep a few formatting tags, no attributes, no links, no images, no comments."""
    return nh3.clean(
        body,
        tags=ALLOWED_TAGS,
        attributes={},
        url_schemes=set(),
        strip_comments=True,
        link_rel=None,
    ).strip()


def template_errors(body: str, kind: str) -> list[str]:
    """Why this template body can't be saved for this kind (empty if it can)."""
    errors: list[str] = []
    if TEMPLATE_CODE.search(body):
        errors.append(
            "Templates can't contain template code such as {{ }} or {% %}. "
            "Use merge fields like [[recipient_name]]."
        )
    allowed = allowed_fields(kind)
    for match in ANY_BRACKETS.finditer(body):
        name = match.group(1).strip()
        if not re.fullmatch(r"[a-z_]+", name):
            errors.append(
                f"“[[{match.group(1)}]]” is not a merge field. Merge fields are "
                "lower-case names such as [[recipient_name]]."
            )
        elif name not in FIELDS:
            errors.append(f"“[[{name}]]” is not a merge field we know.")
        elif name not in allowed:
            errors.append(f"“[[{name}]]” can only be used in letters to the reporter.")
    if body.count("[[") != len(ANY_BRACKETS.findall(body)):
        errors.append("A merge field is missing its closing ]].")
    used = set(PLACEHOLDER.findall(body))
    missing = [n for n in REQUIRED[kind] if n not in LAYOUT_FIELDS and n not in used]
    if missing:
        errors.append(
            "This kind of letter must include: "
            + ", ".join(f"{FIELDS[n].label} ([[{n}]])" for n in missing)
            + "."
        )
    return errors


def _value_html(value: str) -> str:
    return html.escape(value).replace("\n", "<br>")


def merge(body: str, values: dict[str, str]) -> str:
    """Replace each placeholder with its escaped value, in one pass."""
    return PLACEHOLDER.sub(lambda m: _value_html(values.get(m.group(1), "")), body)


def merged_body_errors(body: str) -> list[str]:
    """Checks on a draft's edited text: nothing left to merge, no template code."""
    errors = []
    if TEMPLATE_CODE.search(body):
        errors.append("The letter can't contain template code such as {{ }} or {% %}.")
    if "[[" in body:
        errors.append(
            "The letter still contains a merge field ([[…]]). Replace it with the actual text."
        )
    if not nh3.clean(body, tags=set()).strip():
        errors.append("The letter is empty.")
    return errors
