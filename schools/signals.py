"""Signals the schools app sends for writes that Django's model signals do not see.

`school_data_changed(school_ids=[…])`: rows of these schools were written in bulk
(`bulk_create`, `QuerySet.update`) — apps that keep figures about a school's data (the
statistics page's cache, `oversight.cache`) listen. Send it from any bulk write of data the
statistics read; single saves and deletes are seen through `post_save`/`post_delete`.
"""

from __future__ import annotations

from django.dispatch import Signal

school_data_changed = Signal()
