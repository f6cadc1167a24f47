from django.contrib import admin

from schoolconduct.admin import ReadOnlyAdmin

from .models import BanReview, ContactRestriction, SiteBan

# Bars and restrictions change only through the procedure on the case page: read-only here.


@admin.register(SiteBan)
class SiteBanAdmin(ReadOnlyAdmin):
    list_display = ("person", "school", "stage", "starts_on", "review_on", "ends_on")
    list_filter = ("stage", "school")


@admin.register(BanReview)
class BanReviewAdmin(ReadOnlyAdmin):
    list_display = ("ban", "reviewed_on", "outcome", "next_review_on")


@admin.register(ContactRestriction)
class ContactRestrictionAdmin(ReadOnlyAdmin):
    list_display = ("person", "school", "starts_on", "review_on", "ended_on")
