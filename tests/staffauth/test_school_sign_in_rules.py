"""Who a school's own sign-in (Microsoft 365 / Google) may let in: invited staff only.

The full flow runs against a real OpenID Connect provider in tests/e2e/test_school_sign_in.py;
these cover every edge of the matching rule.
"""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialApp
from django.contrib.auth import get_user_model
from django.db import IntegrityError

from schools.models import Role
from staffauth.models import SchoolSignIn
from staffauth.services import SchoolAccount, SignInRefused, school_sign_in_user
from tests.factories import MembershipFactory, SchoolFactory, UserFactory

pytestmark = pytest.mark.django_db


def make_sign_in(*, school=None, trust=None, domain="WillowPark.sch.uk", owns=False):
    app = SocialApp.objects.create(
        provider="openid_connect",
        provider_id=f"app-{SocialApp.objects.count()}",
        name="Willow Park (Microsoft 365)",
        client_id="client",
        secret="secret",
        settings={"server_url": "https://login.example/tenant/v2.0"},
    )
    return SchoolSignIn.objects.create(
        app=app, school=school, trust=trust, email_domain=f" @{domain} ", issuer_verifies_email=owns
    )


def user_for(sign_in, email, verified=True, connected=None):
    return school_sign_in_user(
        account=SchoolAccount(app_id=sign_in.app_id, email=email, email_verified=verified),
        connected_user=connected,
    )


@pytest.fixture
def staff_member(school):
    user = UserFactory(username="helen", email="Helen.Carter@willowpark.sch.uk")
    MembershipFactory(user=user, school=school, role=Role.SLT)
    return user


def test_the_domain_is_kept_lower_case_without_at_or_spaces(school):
    assert make_sign_in(school=school).email_domain == "willowpark.sch.uk"


def test_an_invited_member_of_staff_is_matched_whatever_the_case(school, staff_member):
    sign_in = make_sign_in(school=school)
    assert user_for(sign_in, "helen.carter@WILLOWPARK.sch.uk") == staff_member
    assert user_for(sign_in, " helen.carter@willowpark.sch.uk ") == staff_member


@pytest.mark.parametrize(
    "email",
    [
        "helen.carter@gmail.com",  # another domain
        "helen.carter@evil-willowpark.sch.uk",  # a look-alike
        "helen.carter@mail.willowpark.sch.uk",  # a subdomain is another domain
        "helen.carter@willowpark.sch.uk.evil.example",
        "willowpark.sch.uk",  # no local part
        "",
    ],
)
def test_another_domain_is_refused_even_for_a_known_address(school, staff_member, email):
    UserFactory(username="dup", email=email or "x@y.example")
    with pytest.raises(SignInRefused, match=r"Only willowpark\.sch\.uk accounts"):
        user_for(make_sign_in(school=school), email)


def test_an_unverified_address_is_refused_unless_the_issuer_owns_the_domain(school, staff_member):
    with pytest.raises(SignInRefused, match="did not confirm your email"):
        user_for(make_sign_in(school=school), staff_member.email, verified=False)
    owned = make_sign_in(school=school, owns=True)
    assert user_for(owned, staff_member.email, verified=False) == staff_member


def test_nobody_unknown_gets_in_and_no_account_is_created(school, staff_member):
    sign_in = make_sign_in(school=school)
    before = get_user_model().objects.count()
    with pytest.raises(SignInRefused, match="no SchoolConduct staff account"):
        user_for(sign_in, "stranger@willowpark.sch.uk")
    assert get_user_model().objects.count() == before


def test_inactive_or_role_less_or_other_school_users_are_refused(school, staff_member):
    sign_in = make_sign_in(school=school)
    UserFactory(username="norole", email="norole@willowpark.sch.uk")
    gone = UserFactory(username="gone", email="gone@willowpark.sch.uk", is_active=False)
    MembershipFactory(user=gone, school=school, role=Role.SLT)
    elsewhere = UserFactory(username="else", email="else@willowpark.sch.uk")
    MembershipFactory(user=elsewhere, school=SchoolFactory(), role=Role.SLT)
    for email in ("norole@willowpark.sch.uk", "gone@willowpark.sch.uk", "else@willowpark.sch.uk"):
        with pytest.raises(SignInRefused):
            user_for(sign_in, email)


def test_staff_of_a_school_that_is_no_longer_active_are_refused(school, staff_member):
    sign_in = make_sign_in(school=school)
    school.is_active = False
    school.save()
    with pytest.raises(SignInRefused):
        user_for(sign_in, staff_member.email)


def test_two_accounts_with_one_address_are_refused(school, staff_member):
    twin = UserFactory(username="twin", email="helen.carter@willowpark.sch.uk")
    MembershipFactory(user=twin, school=school, role=Role.DSL)
    with pytest.raises(SignInRefused):
        user_for(make_sign_in(school=school), "helen.carter@willowpark.sch.uk")


def test_a_trust_sign_in_serves_staff_of_its_schools_and_its_executives(
    trust, school, staff_member, trust_exec
):
    trust_exec.email = "tom@willowpark.sch.uk"
    trust_exec.save()
    sign_in = make_sign_in(trust=trust)
    assert user_for(sign_in, staff_member.email) == staff_member
    assert user_for(sign_in, "tom@willowpark.sch.uk") == trust_exec
    outsider = UserFactory(username="out", email="out@willowpark.sch.uk")
    MembershipFactory(user=outsider, school=SchoolFactory(), role=Role.SLT)
    with pytest.raises(SignInRefused):
        user_for(sign_in, "out@willowpark.sch.uk")


def test_a_linked_account_must_still_be_the_same_invited_user(school, staff_member):
    sign_in = make_sign_in(school=school)
    assert user_for(sign_in, staff_member.email, connected=staff_member) == staff_member
    other = UserFactory(username="other", email="other@willowpark.sch.uk")
    MembershipFactory(user=other, school=school, role=Role.SLT)
    # The provider now reports another address for the linked subject: refused.
    with pytest.raises(SignInRefused):
        user_for(sign_in, "other@willowpark.sch.uk", connected=staff_member)
    staff_member.memberships.all().delete()
    with pytest.raises(SignInRefused):
        user_for(sign_in, staff_member.email, connected=staff_member)


def test_a_sign_in_belongs_to_a_school_or_a_trust_not_both(trust, school):
    with pytest.raises(IntegrityError):
        make_sign_in(school=school, trust=trust)


def test_a_sign_in_belongs_to_a_school_or_a_trust_not_neither(db):
    with pytest.raises(IntegrityError):
        make_sign_in()


def test_an_app_without_a_school_sign_in_lets_nobody_in(staff_member):
    app = SocialApp.objects.create(provider="openid_connect", provider_id="loose", name="Loose")
    with pytest.raises(SignInRefused, match="not set up"):
        school_sign_in_user(
            account=SchoolAccount(app_id=app.pk, email=staff_member.email, email_verified=True)
        )


def test_the_sign_in_page_may_send_its_form_on_to_the_schools_provider(client, school):
    make_sign_in(school=school)
    page = client.get("/staff/sign-in/")
    assert "Continue with Willow Park (Microsoft 365)" in page.text
    policy = page["Content-Security-Policy"]
    form_action = next(d for d in policy.split(";") if d.strip().startswith("form-action"))
    assert form_action.split()[1:] == ["'self'", "https://login.example"]


def test_a_school_sign_in_starts_only_from_the_sign_in_page(client, school):
    sign_in = make_sign_in(school=school)
    url = f"/staff/account/oidc/{sign_in.app.provider_id}/login/"
    assert client.get(url)["Location"] == "/staff/sign-in/"
    client_csrf = type(client)(enforce_csrf_checks=True)
    assert client_csrf.post(url).status_code == 403  # no CSRF token: refused


@pytest.mark.parametrize(
    "domain", ["willow park.sch.uk", "https://willowpark.sch.uk", "willowpark", "a@b.uk", " "]
)
def test_the_admin_refuses_what_is_not_a_domain(school, domain):
    from django.core.exceptions import ValidationError

    sign_in = make_sign_in(school=school)
    sign_in.email_domain = domain
    with pytest.raises(ValidationError) as refused:
        sign_in.full_clean()
    assert "email_domain" in refused.value.message_dict


def test_the_admin_accepts_a_domain_typed_with_an_at_sign(school):
    sign_in = make_sign_in(school=school)
    sign_in.email_domain = "@WillowPark.sch.uk"
    sign_in.full_clean()


def test_the_issuer_must_be_set_and_https_in_production(school, settings):
    from django.core.exceptions import ValidationError

    sign_in = make_sign_in(school=school)
    sign_in.app.settings = {"server_url": "http://login.example"}
    sign_in.full_clean()  # the demo and the tests run a local provider over http
    settings.IS_PRODUCTION = True
    with pytest.raises(ValidationError, match="must be an https"):
        sign_in.full_clean()
    sign_in.app.settings = {}
    with pytest.raises(ValidationError, match="issuer"):
        sign_in.full_clean()
