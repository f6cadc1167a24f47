"""The Celery application. Tasks live in `<app>/tasks.py` and are found automatically."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schoolconduct.settings")

app = Celery("schoolconduct")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
