from django.urls import path

from . import views

app_name = "letters"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("batches/", views.batch_create, name="batch-create"),
    path("batches/<int:pk>/pdf/", views.batch_pdf, name="batch-pdf"),
    path("batches/<int:pk>/printed/", views.batch_printed, name="batch-printed"),
    path("batches/<int:pk>/retry/", views.batch_retry, name="batch-retry"),
    path("batches/<int:pk>/cancel/", views.batch_cancel, name="batch-cancel"),
    path("batches/<int:pk>/sent/", views.batch_sent, name="batch-sent"),
    path("settings/", views.letter_settings, name="settings"),
    path("settings/logo/", views.letter_logo, name="settings-logo"),
    path("templates/", views.templates_list, name="templates"),
    path("templates/<slug:kind>/", views.template_edit, name="template-edit"),
    path("templates/<slug:kind>/reset/", views.template_reset, name="template-reset"),
    path("case/<str:reference>/", views.letter_kinds, name="case-letters"),
    path("case/<str:reference>/new/<slug:kind>/", views.letter_new, name="new"),
    path("<int:pk>/", views.letter_detail, name="detail"),
    path("<int:pk>/preview.pdf", views.letter_preview, name="preview"),
    path("<int:pk>/approve/", views.letter_approve, name="approve"),
    path("<int:pk>/retry/", views.letter_retry, name="retry"),
    path("<int:pk>/correct/", views.letter_correct, name="correct"),
    path("<int:pk>/pdf/", views.letter_pdf, name="pdf"),
    path("<int:pk>/printed/", views.letter_printed, name="printed"),
    path("<int:pk>/sent/", views.letter_sent, name="sent"),
]
