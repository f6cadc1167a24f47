"""Storage for private files (evidence, letters): no public URL, ever."""

from django.core.files.storage import FileSystemStorage, Storage, storages


def private_storage() -> Storage:
    """Storage for evidence, letters and signatures: never under a public URL (see
    STORAGES["private"]). A callable, so tests and settings can swap the backend."""
    return storages["private"]


class PrivateFileSystemStorage(FileSystemStorage):
    """Files on local (or shared) disk outside MEDIA_ROOT, served only by permission-checked
    views that stream them. Asking for a URL is a bug, so it raises."""

    def url(self, name: str | None) -> str:
        raise ValueError("Private files have no URL; serve them through a checked view.")
