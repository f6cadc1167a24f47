"""Finding the reporter's identity in text, however it was typed.

Used by the letters' guard ("a letter to anyone but the reporter never names them") and by
the redaction of case text shown to users who may not see the reporter. Matching survives
what people type: case, extra or non-breaking spaces, line breaks, HTML entities (`&nbsp;`,
`&#39;`, `&amp;`), accents (José = Jose), apostrophe variants (O'Brien = O’Brien = OBrien
= O Brien), phone numbers in any format (+44 7700 900123 = 07700900123) and the email address.

The rule for a surname on its own (docs/security.md, "Who sees the reporter"): it counts when
it has at least four letters and is not one of `COMMON_SURNAMES` (the most common surnames in
England and Wales, and surnames that are everyday words such as Green or Rose) — otherwise
every letter mentioning "Mr Smith" or "a green car" would be refused. A surname shared with
the letter's own recipient is not checked on its own either (their full name still is). A
first name on its own is never checked.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import nh3

APOSTROPHES = "'’‘ʼʹ`´′＇"
# Letters NFKD does not decompose into a base letter plus a mark.
TRANSLITERATE = str.maketrans(
    {"ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "đ": "d", "ł": "l", "ı": "i"}
)
HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "rev", "sir", "lady"})
MIN_SURNAME_LETTERS = 4
COMMON_SURNAMES = frozenset(
    """
    smith jones williams taylor brown davies evans wilson thomas johnson roberts robinson
    thompson wright walker white edwards hughes green hall lewis harris clarke patel jackson
    wood turner martin cooper hill ward morris moore clark king baker harrison morgan allen
    james scott phillips watson davis parker price bennett young griffiths mitchell kelly cook
    carter richardson bailey collins bell shaw murphy miller richards khan marshall anderson
    simpson ellis adams singh begum wilkinson foster chapman powell webb rogers gray grey mason
    hunt hussain campbell matthews owen palmer holmes mills barnes knight lloyd butler russell
    barker fisher stevens jenkins murray dixon harvey graham pearson ahmed fletcher walsh kaur
    gibson howard andrews stewart elliott reynolds saunders payne ford pearce brooks lawrence
    cole atkinson bradley spencer gill dawson ball burton watts rose booth perry ryan
    grant wells armstrong francis rees hayes hart hudson newman barrett webster hunter gregory
    carr lowe page marsh riley dunn woods parsons berry stone reid holland hawkins harding
    porter robertson newton oliver reed kennedy williamson bird gardner shepherd lane cox
    long field brook banks little black golden sharp swift hope love rich wise best good
    house north south east west church bishop parent child friend teacher head school class
    group york lord duke gold silver""".split()  # noqa: SIM905 — a word list reads better
)
# Runs of digits with the separators people put in phone numbers.
PHONE_RUN = re.compile(r"\+?\d[\d\s().\-\u00a0]{5,}\d")
BLOCK_TAGS = re.compile(
    r"<\s*/?\s*(?:p|div|li|ul|ol|h[1-6]|blockquote|table|tr|td|th|section|article)\b[^>]*>",
    re.IGNORECASE,
)
LINE_BREAK = re.compile(r"<\s*br\s*/?\s*>", re.IGNORECASE)


def unescape(text: str) -> str:
    """HTML entities decoded, even when typed twice (`&amp;nbsp;`)."""
    for _ in range(3):
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


def html_to_text(fragment: str) -> str:
    """The text of an HTML fragment: tags removed (a line break or block ends a word)."""
    spaced = LINE_BREAK.sub("\n", BLOCK_TAGS.sub("\n", fragment))
    return unescape(nh3.clean(spaced, tags=set()))


def html_paragraphs(fragment: str) -> list[str]:
    """The non-empty paragraphs (blocks) of an HTML fragment, as text, in order."""
    blocks = (html_to_text(part) for part in BLOCK_TAGS.split(LINE_BREAK.sub("<br>", fragment)))
    return [block for block in blocks if block.strip()]


def fold(text: str) -> tuple[str, list[int]]:
    """Text for matching: lower case, no accents or apostrophes, every run of anything but
    letters and digits one space. Also, for each character of the result, the index of the
    character of `text` it came from (so a match can be quoted from the original)."""
    out: list[str] = []
    where: list[int] = []
    for ch, i in _decoded(text):
        if ch in APOSTROPHES:
            continue
        for part in unicodedata.normalize("NFKD", ch.translate(TRANSLITERATE)):
            if unicodedata.combining(part):
                continue
            for c in part.casefold():
                if c.isalnum():
                    out.append(c)
                    where.append(i)
                elif out and out[-1] != " ":
                    out.append(" ")
                    where.append(i)
    while out and out[-1] == " ":
        out.pop()
        where.pop()
    return "".join(out), where


ENTITY = re.compile(r"&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);?")


def _decoded(text: str) -> list[tuple[str, int]]:
    """The characters of `text` with HTML entities decoded (twice-typed ones too), each with
    the index in `text` it came from."""
    chars = [(ch, i) for i, ch in enumerate(text)]
    for _ in range(3):
        if not any(ch == "&" for ch, _ in chars):
            break
        flat = "".join(ch for ch, _ in chars)
        decoded: list[tuple[str, int]] = []
        pos = 0
        for match in ENTITY.finditer(flat):
            decoded += chars[pos : match.start()]
            value = html.unescape(match.group())
            decoded += [(c, chars[match.start()][1]) for c in value]
            pos = match.end()
        decoded += chars[pos:]
        if decoded == chars:
            break
        chars = decoded
    return chars


def folded(text: str) -> str:
    return fold(text)[0]


def phone_digits(text: str) -> str:
    """A phone number as UK national digits: +44 7700 900123, 0044 (0)7700 900123 and
    07700900123 all give 07700900123."""
    digits = re.sub(r"\D", "", text)
    for prefix in ("00440", "0044", "440", "44"):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 9:
            return "0" + digits[len(prefix) :].lstrip("0")
    return digits


@dataclass(frozen=True)
class Hit:
    """Where in a text a piece of the reporter's identity was found."""

    what: str  # "name", "surname", "email address" or "phone number"
    start: int
    end: int

    def quote(self, text: str, around: int = 30) -> str:
        """The words around the match, as typed, on one line."""
        start, end = max(0, self.start - around), min(len(text), self.end + around)
        snippet = " ".join(text[start:end].split())
        return ("…" if start > 0 else "") + snippet + ("…" if end < len(text) else "")


def _name_variants(name: str) -> tuple[set[str], set[str], set[str]]:
    """Folded spellings of a full name, of its surname where that is distinctive, and of its
    first name."""
    names: set[str] = set()
    surnames: set[str] = set()
    first: set[str] = set()
    spellings = {name}
    for mark in APOSTROPHES:
        if mark in name:
            spellings.add(name.replace(mark, " "))
    for spelling in spellings:
        words = [w for w in spelling.split() if folded(w)]
        while words and folded(words[0]) in HONORIFICS:
            words = words[1:]
        if not words:
            continue
        # "O Brien" is also "OBrien" (a one-letter prefix joined to the next word).
        if len(words) >= 3 and len(folded(words[-2])) == 1:
            spaced = f"{words[-2]} {words[-1]}"
            words = [*words[:-2], words[-2] + words[-1]]
            surnames.add(folded(spaced))
            names.add(folded(f"{words[0]} {spaced}"))
        tokens = folded(" ".join(words)).split()
        names.add(" ".join(tokens))
        if len(words) >= 2:
            first.add(folded(words[0]))
            surname = folded(words[-1])
            names.add(f"{folded(words[0])} {surname}")
            surnames.add(surname)
            # A double-barrelled surname: each half on its own too.
            surnames.update(surname.split())
    distinctive = {
        s
        for s in surnames
        if sum(c.isalpha() for c in s) >= MIN_SURNAME_LETTERS
        and s.replace(" ", "") not in COMMON_SURNAMES
    }
    return {n for n in names if len(n) >= 3}, distinctive, {f for f in first if len(f) >= 3}


def name_forms(name: str) -> set[str]:
    """The folded spellings of a full name, honorifics left out ("Mrs Helen  Carter" and
    "helen carter" share one), for telling whether two names are the same person's."""
    return _name_variants(name)[0] if name and name.strip() else set()


class ReporterIdentity:
    """The reporter details of one or more reports, ready to look for in any text."""

    def __init__(
        self,
        *,
        names: Iterable[str] = (),
        emails: Iterable[str] = (),
        phones: Iterable[str] = (),
        except_names: Iterable[str] = (),
        first_names: bool = False,
    ):
        """`first_names`: also find the first name on its own (for hiding the reporter from
        case text, where hiding too much costs little; letters don't check it)."""
        self.names: set[str] = set()
        self.surnames: set[str] = set()
        self.first_names: set[str] = set()
        for name in names:
            if name and name.strip():
                full, surnames, first = _name_variants(name)
                self.names |= full
                self.surnames |= surnames
                if first_names:
                    self.first_names |= first
        # A surname the text's own subject shares (the letter's recipient) is not a hit alone.
        shared = {s for other in except_names for s in _name_variants(other)[1]}
        self.surnames -= shared
        self.emails = {folded(e) for e in emails if e and len(e.strip()) >= 3}
        self.phones = {p for p in (phone_digits(x) for x in phones if x) if len(p) >= 7}

    @classmethod
    def of_reports(
        cls, reports: Iterable, *, except_names: Iterable[str] = (), first_names: bool = False
    ) -> ReporterIdentity:
        """The identity of every reporter of these reports."""
        reports = list(reports)
        return cls(
            names=[r.reporter_name for r in reports],
            emails=[r.reporter_email for r in reports],
            phones=[r.reporter_phone for r in reports],
            except_names=except_names,
            first_names=first_names,
        )

    def __bool__(self) -> bool:
        return bool(self.names or self.emails or self.phones)

    def find(self, text: str) -> list[Hit]:
        """Every place the reporter appears in `text` (plain text), most specific first."""
        if not text or not self:
            return []
        hits: list[Hit] = []
        flat, where = fold(text)
        padded = f" {flat} "

        def search(needles: set[str], what: str) -> None:
            # The possessive too: "Shah's" folds to "shahs".
            for needle in sorted(needles | {n + "s" for n in needles}, key=len, reverse=True):
                start = padded.find(f" {needle} ")
                while start != -1:
                    # `start` is the space before the match in `padded`: index `start` of flat.
                    first, last = where[start], where[start + len(needle) - 1]
                    hits.append(Hit(what, first, last + 1))
                    start = padded.find(f" {needle} ", start + 1)

        search(self.names, "name")
        search(self.emails, "email address")
        if self.phones:
            for match in PHONE_RUN.finditer(text):
                digits = phone_digits(match.group())
                if any(
                    phone == digits or (len(phone) >= 9 and phone in digits)
                    for phone in self.phones
                ):
                    hits.append(Hit("phone number", match.start(), match.end()))
        # A surname or first name alone counts only outside a fuller match.
        specific = len(hits)
        search(self.surnames, "surname")
        search(self.first_names, "first name")
        covered = [(h.start, h.end) for h in hits[:specific]]
        alone = [
            hit
            for hit in hits[specific:]
            if not any(s <= hit.start and hit.end <= e for s, e in covered)
        ]
        return hits[:specific] + alone

    def redact(self, text: str, replacement: str = "[reporter's details hidden]") -> str:
        """`text` with every appearance of the reporter replaced."""
        return spans_replace(text, [(h.start, h.end) for h in self.find(text)], replacement)


def spans_replace(text: str, spans: Iterable[tuple[int, int]], replacement: str) -> str:
    """`text` with each span (start, end) replaced; overlapping spans become one."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in reversed(merged):
        text = text[:start] + replacement + text[end:]
    return text
