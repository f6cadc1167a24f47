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

from .kinds import FIELDS, LAYOUT_FIELDS, REQUIRED, allowed_fields

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
    errors = placeholder_errors(body, kind)
    used = set(PLACEHOLDER.findall(body))
    missing = [n for n in REQUIRED[kind] if n not in LAYOUT_FIELDS and n not in used]
    if missing:
        errors.append(
            "This kind of letter must include: "
            + ", ".join(f"{FIELDS[n].label} ([[{n}]])" for n in missing)
            + "."
        )
    return errors


def placeholder_errors(body: str, kind: str) -> list[str]:
    """Template code, or merge fields that are unknown, badly written or not for this kind."""
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
    return errors


def _value_html(value: str) -> str:
    return html.escape(value.strip()).replace("\n", "<br>")


# A paragraph (or list item, heading) holding nothing but one merge field, or any merge field:
# one pattern, so the whole body is merged in a single pass and no value is ever parsed again.
_MERGE = re.compile(
    r"<(?P<tag>p|li|h2|h3)>\s*\[\[\s*(?P<alone>[a-z_]+)\s*\]\]\s*</(?P=tag)>"
    r"|\[\[\s*(?P<name>[a-z_]+)\s*\]\]"
)


def merge(body: str, values: dict[str, str]) -> str:
    """Replace each placeholder with its escaped value, in one pass.

    A block holding only a field with no value (a derived sentence that does not apply, such
    as the possible-offences paragraph of a low-severity warning) is left out altogether, and
    a paragraph holding only a multi-paragraph value becomes that many paragraphs.
    """

    def replace(m: re.Match) -> str:
        if m.group("name"):
            return _value_html(values.get(m.group("name"), ""))
        tag = m.group("tag")
        value = (values.get(m.group("alone")) or "").strip()
        if not value:
            return ""
        if tag == "p":
            parts = [p for p in re.split(r"\n\s*\n", value) if p.strip()]
            return "".join(f"<p>{_value_html(p)}</p>" for p in parts)
        return f"<{tag}>{_value_html(value)}</{tag}>"

    return _MERGE.sub(replace, body)


def split_closing(body: str) -> tuple[str, str]:
    """The body without its last block, and the last block: the layout keeps that block on
    the same page as the closing and signature, so a signature never stands alone."""
    blocks = list(_TOP_BLOCK.finditer(body))
    if len(blocks) < 2:
        return "", body
    last = blocks[-1]
    return body[: last.start()], body[last.start() :]


_TOP_BLOCK = re.compile(r"<(p|h2|h3|ul|ol|blockquote)>.*?</\1>", re.DOTALL)


_SIGN_OFF = re.compile(r"(<p>\s*Yours\s+(sincerely|faithfully),?\s*</p>\s*)+$", re.IGNORECASE)


def without_sign_off(body: str) -> str:
    """The layout prints "Yours sincerely" with the signature; drop one a template still ends
    with (templates saved before the layout took it over)."""
    return _SIGN_OFF.sub("", body.strip()).strip()


def text_to_html(text: str) -> str:
    """The plain editor's text (used without JavaScript) to HTML: blank lines separate
    paragraphs, "- " starts a list item, "### " a heading, **bold** and *italics*."""
    import markdown

    return sanitise(markdown.markdown(text.replace("\r\n", "\n"), output_format="html"))


def html_to_text(body: str) -> str:
    """A draft's HTML as the plain editor's text (the inverse of `text_to_html`)."""
    from markdownify import markdownify

    text = markdownify(
        body,
        heading_style="ATX",
        bullets="-",
        escape_underscores=False,
        escape_misc=False,
        strong_em_symbol="*",
    )
    return re.sub(r"\n{3,}", "\n\n", text).strip()


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
