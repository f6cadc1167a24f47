from django.contrib import admin
from django.urls import include, path

from incidents import staff_urls
from measures import urls as measures_urls

admin.site.site_header = "SchoolConduct administration"
admin.site.site_title = "SchoolConduct"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("staff/letters/", include("letters.urls")),
    path("staff/calendar/", include("schools.staff_urls")),
    # One `staff` namespace for the case pages and the measures pages (/staff/bans/): the
    # URL names stay `staff:…` wherever the page's code lives.
    path("staff/", include(([*measures_urls.urlpatterns, *staff_urls.urlpatterns], "staff"))),
    path("", include("incidents.public_urls")),
    path("", include("schools.urls")),
]

handler400 = "schoolconduct.errors.bad_request"
handler403 = "schoolconduct.errors.permission_denied"
handler404 = "schoolconduct.errors.page_not_found"
handler500 = "schoolconduct.errors.server_error"
