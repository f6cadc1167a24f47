"""What casetasks adds to the apps below it, called once from CaseTasksConfig.ready."""

from __future__ import annotations


def register() -> None:
    from incidents import deadlines, panels, selectors, staff_forms, staff_urls, workflow
    from incidents.rows import case_rows_register
    from schoolconduct import outbox

    from . import services
    from .forms import TaskAddForm
    from .selectors import CASE_ROWS, LABELS, case_page_part, dashboard_panel, task_deadlines
    from .urls import urlpatterns

    workflow.transitions_register(services.TRANSITIONS)
    staff_forms.ACTION_FORMS["task_add"] = TaskAddForm
    staff_urls.staff_urls_register(urlpatterns)
    selectors.case_page_part_register(case_page_part)
    for rows in CASE_ROWS:
        case_rows_register(rows)
    panels.dashboard_panel_register("casetasks/_dashboard.html", dashboard_panel)
    deadlines.register(task_deadlines, labels=LABELS)
    deadlines.register_daily(services.tasks_remind)
    outbox.register(services.GIVEN, compose=services.given_compose)
    outbox.register(services.REMINDER, compose=services.reminder_compose)
