from django.urls import path

from . import casefile_views, views

app_name = "records"

urlpatterns = [
    path("", views.sar_list, name="sars"),
    path("sar/<int:pk>/", views.sar_detail, name="sar"),
    path("sar/<int:pk>/bundle/", casefile_views.sar_bundle, name="sar-bundle"),
    path("retention/", views.retention, name="retention"),
    path("retention/<int:pk>/dispose/", views.dispose, name="dispose"),
    path("holds/<int:pk>/release/", views.hold_release, name="hold-release"),
    path("breaches/", views.breach_list, name="breaches"),
    path("breaches/<int:pk>/", views.breach_detail, name="breach"),
    path("cases/<str:reference>/case-file/", casefile_views.case_file_page, name="case-file"),
    path("case-files/<int:pk>/status/", casefile_views.case_file_status, name="case-file-status"),
    path(
        "case-files/<int:pk>/download/",
        casefile_views.case_file_download,
        name="case-file-download",
    ),
    path("case-files/<int:pk>/approve/", casefile_views.bundle_approve, name="bundle-approve"),
    path("case-files/<int:pk>/release/", casefile_views.bundle_release, name="bundle-release"),
    path("evidence/<int:pk>/redact/", casefile_views.evidence_redact, name="redact"),
    path("redactions/<int:pk>/", casefile_views.redacted_image, name="redacted-image"),
]
