from django.contrib.auth import views as auth_views
from django.urls import URLPattern, path, reverse_lazy

from staffauth import views as sign_in_views

from . import staff_views

app_name = "staff"

urlpatterns = [
    path("", staff_views.dashboard, name="dashboard"),
    path("cases/", staff_views.case_list, name="case-list"),
    path("sensitive-names/", staff_views.sensitive_names, name="sensitive-names"),
    path(
        "sensitive-names/<int:pk>/remove/",
        staff_views.sensitive_name_remove,
        name="sensitive-name-remove",
    ),
    path("cases/export.csv", staff_views.case_export, name="case-export"),
    path("exports/<int:pk>/", staff_views.case_export_status, name="case-export-status"),
    path(
        "exports/<int:pk>/download/",
        staff_views.case_export_download,
        name="case-export-download",
    ),
    path("cases/log-report/", staff_views.report_log, name="report-log"),
    path("cases/log-report/chat/", staff_views.report_log_chat, name="report-log-chat"),
    path(
        "cases/log-report/chat/pick/",
        staff_views.report_log_chat_pick,
        name="report-log-chat-pick",
    ),
    path(
        "cases/log-report/chat/remove/",
        staff_views.report_log_chat_remove,
        name="report-log-chat-remove",
    ),
    path("cases/<str:reference>/", staff_views.case_detail, name="case-detail"),
    path(
        "cases/<str:reference>/chronology/",
        staff_views.case_chronology_print,
        name="case-chronology",
    ),
    path("cases/<str:reference>/merge-in/", staff_views.case_merge_in, name="case-merge-in"),
    path("cases/<str:reference>/<slug:action>/", staff_views.case_action, name="case-action"),
    path("evidence/<int:pk>/", staff_views.evidence_view, name="evidence"),
    path("evidence/<int:pk>/original/", staff_views.evidence_original, name="evidence-original"),
    path("evidence/<int:pk>/status/", staff_views.evidence_status, name="evidence-status"),
    path("evidence/<int:pk>/text/", staff_views.evidence_text, name="evidence-text"),
    path(
        "evidence/<int:pk>/read-again/", staff_views.evidence_read_again, name="evidence-read-again"
    ),
    path("evidence/<int:pk>/redaction/", staff_views.evidence_redaction, name="evidence-redaction"),
    path(
        "evidence/<int:pk>/clean-again/",
        staff_views.evidence_clean_again,
        name="evidence-clean-again",
    ),
    # Sign-in (password then a second factor, a passkey, or the school's own account) and
    # the invitation: an administrator sends a set-password link, and accepting it leads on to
    # setting up a second factor.
    path("sign-in/", sign_in_views.SignInView.as_view(), name="login"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            template_name="staff/password_reset.html",
            email_template_name="emails/password_reset.txt",
            subject_template_name="emails/password_reset_subject.txt",
            success_url=reverse_lazy("staff:password-reset-sent"),
        ),
        name="password-reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="staff/password_reset_sent.html"),
        name="password-reset-sent",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        sign_in_views.AcceptInvitationView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="staff/password_reset_complete.html"
        ),
        name="password-reset-complete",
    ),
]


def staff_urls_register(patterns: list[URLPattern]) -> None:
    """Add another app's staff pages under /staff/ and the `staff:` names (from its
    AppConfig.ready: measures adds the restrictions register), so this app never imports it."""
    urlpatterns.extend(p for p in patterns if p not in urlpatterns)
