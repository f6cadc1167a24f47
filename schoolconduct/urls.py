from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = "SchoolConduct administration"
admin.site.site_title = "SchoolConduct"

urlpatterns = [
    # One sign-in for everybody, with its second factor: the admin's own form would skip it.
    path("admin/login/", RedirectView.as_view(pattern_name="staff:login", query_string=True)),
    path("admin/", admin.site.urls),
    path("staff/account/", include("staffauth.urls")),
    path("staff/letters/", include("letters.urls")),
    path("staff/calendar/", include("schools.staff_urls")),
    path("staff/session/", include("security.urls")),
    path("staff/reports/", include("oversight.urls")),
    path("staff/records/", include("records.urls")),
    path("staff/", include("incidents.staff_urls")),
    path("", include("incidents.public_urls")),
    path("", include("schools.urls")),
]

handler400 = "schoolconduct.errors.bad_request"
handler403 = "schoolconduct.errors.permission_denied"
handler404 = "schoolconduct.errors.page_not_found"
handler500 = "schoolconduct.errors.server_error"
