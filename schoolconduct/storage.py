"""Storage for private files (evidence, letters, print batches, governors' reports): no public
URL, ever.

Local folders are the default (one box). With `STORAGE_S3_BUCKET` set, every file goes to
S3-compatible object storage instead (AWS S3, MinIO, …) through django-storages, so several web
and worker machines share it; objects are private (ACL "private") and reach a browser only
through the permission-checked views, which stream them from storage. Code reads and writes
files through the storage API only (`open`, `save`, `delete`, `exists`): never a local path.
"""

from __future__ import annotations

import functools

from django.core.files.storage import FileSystemStorage, Storage, storages

NO_URL = "Private files have no URL; serve them through a checked view."


def private_storage() -> Storage:
    """Storage for evidence, letters and signatures: never under a public URL (see
    STORAGES["private"]). A callable, so tests and settings can swap the backend."""
    return storages["private"]


class PrivateFileSystemStorage(FileSystemStorage):
    """Files on local (or shared) disk outside MEDIA_ROOT, served only by permission-checked
    views that stream them. Asking for a URL is a bug, so it raises."""

    def url(self, name: str | None) -> str:
        raise ValueError(NO_URL)


@functools.cache
def _private_s3_storage() -> type[Storage]:
    from storages.backends.s3 import S3Storage

    class PrivateS3Storage(S3Storage):
        """S3-compatible object storage for private files. Objects are private whatever the
        bucket's default, a stored file is never overwritten (a second file of the same name
        gets a new name, as on disk), and there is no URL: views stream each file after their
        permission check."""

        default_acl = "private"
        file_overwrite = False

        def url(self, name, parameters=None, expire=None, http_method=None):
            raise ValueError(NO_URL)

    return PrivateS3Storage


def __getattr__(name: str):
    # "schoolconduct.storage.PrivateS3Storage" in STORAGES imports boto3 only when configured.
    if name == "PrivateS3Storage":
        return _private_s3_storage()
    raise AttributeError(name)


def s3_options(
    *,
    bucket: str,
    endpoint_url: str = "",
    access_key: str = "",
    secret_key: str = "",
    region: str = "",
    prefix: str = "",
    addressing_style: str = "",
) -> dict:
    """The django-storages options for one prefix of the bucket (settings and tests share it)."""
    return {
        "bucket_name": bucket,
        "endpoint_url": endpoint_url or None,
        "access_key": access_key or None,
        "secret_key": secret_key or None,
        "region_name": region or None,
        "location": prefix,
        "addressing_style": addressing_style or None,
        "default_acl": "private",
        "file_overwrite": False,
        "querystring_auth": True,
        "querystring_expire": 60,
    }
