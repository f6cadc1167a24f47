from django.urls import path

from . import public_views

app_name = "reports"

urlpatterns = [
    path("s/<slug:school>/report/", public_views.report, name="report"),
    path("s/<slug:school>/report/receipt/", public_views.receipt, name="receipt"),
    path("s/<slug:school>/report/chat/", public_views.chat_upload, name="chat-upload"),
    path("s/<slug:school>/report/chat/pick/", public_views.chat_pick, name="chat-pick"),
    path("s/<slug:school>/report/chat/remove/", public_views.chat_remove, name="chat-remove"),
    path("follow-up/", public_views.follow_up, name="follow-up"),
    path("follow-up/add/", public_views.follow_up_add, name="follow-up-add"),
    path("follow-up/finish/", public_views.follow_up_finish, name="follow-up-finish"),
]
