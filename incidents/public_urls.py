from django.urls import path

from . import public_views

app_name = "reports"

urlpatterns = [
    path("s/<slug:school>/report/", public_views.report, name="report"),
    path("s/<slug:school>/report/receipt/", public_views.receipt, name="receipt"),
    path("follow-up/", public_views.follow_up, name="follow-up"),
    path("follow-up/add/", public_views.follow_up_add, name="follow-up-add"),
    path("follow-up/finish/", public_views.follow_up_finish, name="follow-up-finish"),
]
