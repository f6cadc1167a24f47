from django.urls import path

from . import views

app_name = "records"

urlpatterns = [
    path("", views.sar_list, name="sars"),
    path("sar/<int:pk>/", views.sar_detail, name="sar"),
    path("retention/", views.retention, name="retention"),
    path("retention/<int:pk>/dispose/", views.dispose, name="dispose"),
    path("holds/<int:pk>/release/", views.hold_release, name="hold-release"),
    path("breaches/", views.breach_list, name="breaches"),
    path("breaches/<int:pk>/", views.breach_detail, name="breach"),
]
