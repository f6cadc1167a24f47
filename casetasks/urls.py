"""Task pages, added under /staff/ and the `staff:` names from CaseTasksConfig.ready."""

from django.urls import path

from . import views

urlpatterns = [
    path("tasks/<int:pk>/done/", views.task_done, name="task-done"),
    path("tasks/<int:pk>/reassign/", views.task_reassign, name="task-reassign"),
]
