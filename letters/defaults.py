"""The default template of every letter kind: calm, factual, with offences only ever
described conditionally. Schools edit their own copies; "reset to the default" returns here.

Bodies start at the salutation ("Dear [[salutation]]" — "Dear Mr Johnson") and end at the last
paragraph: the letterhead, address block, date, reference, delivery method, "Yours sincerely"
and the signature come from the letter layout (templates/letters/pdf/letter.html).

Proportionate by default: possible offences appear only through [[legal_note]], which is
empty unless the kind and the case's severity call for it, and a warning after a meeting opens
by recalling that meeting ([[meeting_note]], empty when none is recorded). A paragraph that
holds only an empty field is left out of the letter.

Where and how it happened is one field, [[incident]], worded from the reports: a post ("in a
message posted in Year 3 parents (WhatsApp) on 3 December 2026"), or not ("on 30 November 2026
at the school gate", "in a phone call to the school office on …"); so the fixed text never
assumes a post, and asking for a post to be removed is [[remove_request]], empty otherwise.
"""

from __future__ import annotations

from .kinds import LetterKind

_ACCESSIBLE = (
    "<p>If you would like this letter in another format, such as large print, or translated "
    "into another language, please contact the school office on [[school_phone]] and we will "
    "arrange it.</p>"
)
_FACTS = (
    "<p>This letter is about your conduct [[incident]]. In summary:</p>"
    "<blockquote>[[conduct_summary]]</blockquote>"
    "<p>This is contrary to our code of conduct for parents, in particular: "
    "[[rules_breached]].</p>"
)

DEFAULT_TEMPLATES: dict[str, tuple[str, str]] = {
    LetterKind.ACKNOWLEDGEMENT: (
        "We have received your report",
        "<p>Dear [[salutation]],</p>"
        "<p>Thank you for telling us about what happened [[incident]]. We have received "
        "your report and a senior member of staff will look into it.</p>"
        "<h3>What happens next</h3>"
        "<p>We will consider what you have told us and may contact you if we need more "
        "information. You can check progress, read any messages from us and add information "
        "on our follow-up page using your reference and private follow-up code.</p>"
        "<h3>Confidentiality</h3>"
        "<p>Your report is confidential. We do not share your name or contact details with the "
        "person you reported, and they will not appear in any letter we send to anyone else."
        "</p>"
        "<p>Please be aware that we cannot promise any particular action about another parent, "
        "and to protect everyone's privacy we may not be able to tell you what action we take."
        "</p>"
        "<p>If you are unhappy with how we handle your report, you can use the school's "
        "complaints procedure.</p>" + _ACCESSIBLE,
    ),
    LetterKind.REMINDER: (
        "Our code of conduct for parents",
        "<p>Dear [[salutation]],</p>"
        "<p>[[meeting_note]]</p>"
        "<p>I am writing to remind you of our code of conduct for parents, in person and in "
        "parents' WhatsApp and social media groups, which helps keep our school community "
        "friendly and safe for everyone.</p>" + _FACTS + "<p>[[remove_request]]</p>"
        "<p>I would be grateful if you would follow the code in future.</p>"
        "<p>If you have a concern about the school, please raise it with us directly — with "
        "your child's class teacher first, or by contacting the school office on "
        "[[school_phone]] or [[school_email]].</p>"
        "<p>Thank you for your support in keeping our school community a positive one.</p>"
        + _ACCESSIBLE,
    ),
    LetterKind.MEETING_INVITATION: (
        "Invitation to a meeting",
        "<p>Dear [[salutation]],</p>"
        "<p>I would like to invite you to a meeting to discuss the conduct described below.</p>"
        + _FACTS
        + "<ul><li><strong>Date:</strong> [[meeting_date]]</li>"
        "<li><strong>Time:</strong> [[meeting_time]]</li>"
        "<li><strong>Place:</strong> [[meeting_place]]</li>"
        "<li><strong>Attending for the school:</strong> [[meeting_attendees]]</li></ul>"
        "<p><strong>Purpose of the meeting:</strong> [[meeting_purpose]]</p>"
        "<p>You are welcome to bring a friend or family member with you for support. If the "
        "date or time is not convenient, please contact the school office on [[school_phone]] "
        "and we will arrange another time.</p>" + _ACCESSIBLE,
    ),
    LetterKind.WARNING: (
        "Formal warning about your conduct",
        "<p>Dear [[salutation]],</p>"
        "<p>[[meeting_note]]</p>"
        "<p>I am writing to you formally because our code of conduct for parents has not "
        "been followed.</p>" + _FACTS + "<h3>The impact</h3><p>[[impact]]</p>"
        "<h3>What we ask of you</h3><p>[[change_required]]</p>"
        "<p>[[legal_note]]</p>"
        "<h3>What may happen next</h3>"
        "<p>If this conduct continues, the school may take further steps, which could include "
        "restricting how you contact the school or, in serious cases, restricting your access "
        "to the school site. Any such step would follow our published procedure and you "
        "would be given the opportunity to respond.</p>"
        "<h3>Your right to reply</h3>"
        "<p>If you wish to respond to this letter, please do so in writing to me by "
        "[[response_deadline]], or contact the school office on [[school_phone]] to arrange a "
        "meeting. Your response will be kept on file with this letter.</p>" + _ACCESSIBLE,
    ),
    LetterKind.INTENTION_TO_BAR: (
        "Notice of intention to bar you from the school premises",
        "<p>Dear [[salutation]],</p>"
        "<p>I am writing to tell you that the school is considering barring you from the "
        "school premises, and to invite you to make representations before any decision is "
        "made.</p>" + _FACTS + "<h3>Reasons</h3><p>[[reasons]]</p>"
        "<h3>What is proposed</h3>"
        "<p><strong>Scope:</strong> [[proposed_scope]]</p>"
        "<p><strong>Duration:</strong> [[duration]]</p>"
        "<h3>Your child</h3><p>[[child_arrangements]]</p>"
        "<h3>Making representations</h3>"
        "<p>You may tell us in writing why you think the school should not bar you, or ask "
        "for a meeting to say so in person. Please send your representations to the school "
        "office ([[school_email]]) by <strong>[[representation_deadline]]</strong>.</p>"
        "<p>The decision will be made by [[decision_maker]], who will consider anything you "
        "send us before deciding. We will write to you with the decision.</p>" + _ACCESSIBLE,
    ),
    LetterKind.TEMPORARY_BAR: (
        "Temporary bar from the school premises",
        "<p>Dear [[salutation]],</p>"
        "<p>I am writing to tell you that, with effect from <strong>[[start_date]]</strong>, "
        "you are temporarily barred from the school premises.</p>"
        + _FACTS
        + "<h3>Why this takes effect immediately</h3><p>[[why_immediate]]</p>"
        "<h3>Reasons</h3><p>[[reasons]]</p>"
        "<p><strong>Scope:</strong> [[proposed_scope]]</p>"
        "<p><strong>Duration:</strong> [[duration]]</p>"
        "<h3>Your child</h3><p>[[child_arrangements]]</p>"
        "<h3>Making representations</h3>"
        "<p>This temporary bar will be reviewed. You may tell us in writing why it should not "
        "continue, or ask for a meeting, by <strong>[[representation_deadline]]</strong>, by "
        "contacting the school office ([[school_email]]). [[decision_maker]] will consider "
        "what you say before deciding whether the bar should continue, and we will write to "
        "you with the decision.</p>"
        "<p>While the bar is in place, if you come onto the school premises you may be "
        "treated as a trespasser and asked to leave.</p>" + _ACCESSIBLE,
    ),
    LetterKind.BAR_DECISION: (
        "Decision on barring you from the school premises",
        "<p>Dear [[salutation]],</p>"
        "<p>I am writing to tell you the school's decision about barring you from the school "
        "premises.</p>" + _FACTS + "<h3>What you told us</h3><p>[[representations_summary]]</p>"
        "<h3>Our decision and our reasons</h3><p>[[reasons]]</p>"
        "<p><strong>Scope:</strong> [[proposed_scope]]</p>"
        "<p><strong>From:</strong> [[start_date]]</p>"
        "<p><strong>Until:</strong> [[end_date]], unless it is lifted sooner.</p>"
        "<p><strong>Review:</strong> the bar will be reviewed by [[review_date]], and we will "
        "write to you with the outcome of the review.</p>"
        "<h3>Your child</h3><p>[[child_arrangements]]</p>"
        "<h3>If the bar is not respected</h3>"
        "<p>If you come onto the school premises while barred, you may be treated as a "
        "trespasser. Causing a nuisance or disturbance on school premises may be an offence "
        "under section 547 of the Education Act 1996, and the police may be asked to remove "
        "you.</p>"
        "<h3>Contacting the school and challenging this decision</h3>"
        "<p>You may still contact the school in writing at [[school_email]]. If you wish to "
        "challenge this decision, please write to the chair of governors (or the trust) "
        "through the school office, and you may use the school's complaints procedure.</p>"
        + _ACCESSIBLE,
    ),
    LetterKind.BAR_REVIEW: (
        "Review of your bar from the school premises",
        "<p>Dear [[salutation]],</p>"
        "<p>The school has reviewed the bar from the school premises that applies to you.</p>"
        "<h3>Outcome of the review</h3><p>[[review_outcome]]</p>"
        "<h3>Conditions</h3><p>[[conditions]]</p>"
        "<p><strong>Next review:</strong> [[review_date]].</p>"
        "<p>If you would like to discuss this letter, please contact the school office on "
        "[[school_phone]].</p>" + _ACCESSIBLE,
    ),
    LetterKind.CONTACT_RESTRICTION: (
        "How you may contact the school",
        "<p>Dear [[salutation]],</p>"
        "<p>I am writing about how you contact the school.</p>"
        + _FACTS
        + "<p>From now on, please contact the school only through [[contact_point]]. They will "
        "make sure your messages reach the right person and that you receive a reply.</p>"
        "<p>This arrangement will be reviewed by [[review_date]].</p>"
        "<p>This does not affect your right to raise a concern or make a complaint: the "
        "school's complaints procedure remains open to you, and you can ask [[contact_point]] "
        "for a copy.</p>" + _ACCESSIBLE,
    ),
    LetterKind.OUTCOME_TO_REPORTER: (
        "The outcome of your report",
        "<p>Dear [[salutation]],</p>"
        "<p>Thank you again for your report. We have finished looking into it.</p>"
        "<p>[[outcome_summary]]</p>"
        "<p>To protect everyone's privacy we are not able to share details of any action "
        "taken about another parent.</p>"
        "<p>If you are unhappy with how we handled your report, you can use the school's "
        "complaints procedure: please contact the school office on [[school_phone]].</p>"
        + _ACCESSIBLE,
    ),
}
