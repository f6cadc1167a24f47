"""`{{ text|hide_reporter:hidden }}`: case text with the reporter's details hidden, for users
who may not see the reporter (`hidden` is their ReporterIdentity; None shows the text as it
is). Typed text — a note, a message, the reported post, a file's name — can name the
reporter even though no field of it is "the reporter"."""

from __future__ import annotations

from django import template

from incidents.identity import ReporterIdentity

register = template.Library()


@register.filter
def hide_reporter(text, hidden: ReporterIdentity | None):
    if hidden is None or not text:
        return text
    return hidden.redact(str(text))
