"""Create (or bring up to date) the demo trust, schools, groups, rules, staff and reports.

It lives in `incidents` because it writes sample reports: the highest app it needs, so no
lower app imports a higher one.

Idempotent: running it again changes nothing. Refused in production settings.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from schools.models import Group, Membership, Role, School, Trust, TrustMembership
from schools.services import school_install_default_rules

DEMO_PASSWORD = "schoolconduct-demo"  # noqa: S105 — published demo login, never in production

SCHOOLS = [
    {
        "slug": "willow-park",
        "name": "Willow Park Primary School",
        "reference_prefix": "WPS",
        "address": "Willow Park Primary School\nMeadow Lane\nAshford Green",
        "postcode": "AG1 2WP",
        "phone": "01632 960001",
        "email": "office@willowpark.example",
        "childrens_services_phone": "01632 960100",
        "groups": [
            "Reception parents",
            "Year 1 parents",
            "Year 2 parents",
            "Year 3 parents",
            "Year 4 parents",
            "Year 5 parents",
            "Year 6 parents",
            "Whole-school PTA",
        ],
    },
    {
        "slug": "oakfield",
        "name": "Oakfield Academy",
        "reference_prefix": "OAK",
        "address": "Oakfield Academy\nStation Road\nBramley Vale",
        "postcode": "BV3 4OA",
        "phone": "01632 960002",
        "email": "office@oakfield.example",
        "childrens_services_phone": "01632 960200",
        "groups": [
            "Year 7 parents",
            "Year 8 parents",
            "Year 9 parents",
            "Year 10 parents",
            "Year 11 parents",
        ],
    },
]

STAFF = [
    # username, first, last, school slug, role, head teacher, job title
    ("head", "Helen", "Carter", "willow-park", Role.SLT, True, "Head teacher"),
    ("dsl", "David", "Okafor", "willow-park", Role.DSL, False, "Designated safeguarding lead"),
    ("office", "Olivia", "Price", "willow-park", Role.OFFICE, False, "Office manager"),
]


class Command(BaseCommand):
    help = "Create the demo trust, two schools and demo staff (development only)."

    def handle(self, *args, **options) -> None:
        if settings.IS_PRODUCTION:
            raise CommandError("Demo data is never created in production settings.")
        with transaction.atomic():
            self._create()
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Staff sign-in at /staff/:"))
        for username in ("head", "dsl", "office", "trust"):
            self.stdout.write(f"  {username:<7} password: {DEMO_PASSWORD}")

    def _create(self) -> None:
        trust, _ = Trust.objects.get_or_create(
            slug="riverside", defaults={"name": "Riverside Learning Trust"}
        )
        schools = {}
        for spec in SCHOOLS:
            spec = dict(spec)
            groups = spec.pop("groups")
            school, _ = School.objects.get_or_create(
                slug=spec.pop("slug"), defaults={**spec, "trust": trust}
            )
            schools[school.slug] = school
            school_install_default_rules(school=school)
            for order, name in enumerate(groups):
                Group.objects.get_or_create(
                    school=school, name=name, defaults={"order": order * 10}
                )
        User = get_user_model()
        for username, first, last, slug, role, is_head, title in STAFF:
            user = self._user(User, username, first, last)
            Membership.objects.get_or_create(
                user=user,
                school=schools[slug],
                role=role,
                defaults={"is_head_teacher": is_head, "job_title": title},
            )
        user = self._user(User, "trust", "Tom", "Ashworth")
        TrustMembership.objects.get_or_create(
            user=user, trust=trust, defaults={"job_title": "Chief executive officer"}
        )
        self._sample_reports(schools["willow-park"])

    def _sample_reports(self, school: School) -> None:
        """A few example reports, once, so the staff dashboard has something to show."""
        from incidents.models import Channel, ChildRisk, Conduct, Report
        from incidents.services import ReportDetails, report_submit

        if Report.objects.filter(school=school).exists():
            return
        groups = list(school.groups.all())
        rules = {r.title: r for r in school.rules.all()}
        today = timezone.localdate()
        samples = [
            (
                "Year 3 parents",
                2,
                "Honestly Mr Patel is the worst teacher in the school. He "
                "shouldn't be allowed near kids. Everyone complain!!",
                ["No abusive or personal comments", "Not a place for grievances"],
                ChildRisk.NO,
                "",
                "Sam's dad",
            ),
            (
                "Year 5 parents",
                1,
                "Sharing this message Miss Jones sent me privately so you "
                "can all see what she's really like [screenshot]",
                ["Never post screenshots of private messages with staff"],
                ChildRisk.NO,
                "",
                "A mum in the group",
            ),
            (
                "Year 3 parents",
                0,
                "That girl in 3B who bit my son wants sorting out. I know where they live.",
                ["No threats, intimidation or bad language"],
                ChildRisk.YES,
                "A child is identified and threatened.",
                "",
            ),
        ]
        for group_name, days_ago, text, rule_titles, risk, details, poster in samples:
            report_submit(
                school=school,
                images=[],
                details=ReportDetails(
                    group=next(g for g in groups if g.name == group_name),
                    group_other="",
                    posted_on=today - timedelta(days=days_ago),
                    posted_time=None,
                    content=text,
                    rules=[rules[t] for t in rule_titles if t in rules],
                    rules_unsure=False,
                    poster_description=poster,
                    child_at_risk=risk,
                    child_risk_details=details,
                ),
            )
        # Not every incident is a post: one at the school gate, witnessed by the office.
        office = get_user_model().objects.filter(username="office").first()
        report_submit(
            school=school,
            images=[],
            channel=Channel.IN_PERSON,
            actor=office,
            details=ReportDetails(
                group=None,
                group_other="",
                posted_on=today - timedelta(days=1),
                posted_time=None,
                content="Shouted at the Year 3 teacher at pick-up, in front of the children, "
                "that she is useless.",
                rules=[r for t, r in rules.items() if t.startswith("No threats")],
                rules_unsure=False,
                poster_description="A dad at pick-up",
                child_at_risk=ChildRisk.NO,
                child_risk_details="",
                conduct=Conduct.IN_PERSON,
                conduct_place="at the school gate",
                witness=office,
            ),
        )

    def _user(self, User, username: str, first: str, last: str):
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@staff.example"},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        return user
