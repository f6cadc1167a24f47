"""What measures adds to the apps below it, called once from MeasuresConfig.ready."""

from __future__ import annotations


def register() -> None:
    from incidents import deadlines, selectors, staff_forms, staff_urls, workflow
    from incidents.next_step import next_step_register
    from incidents.rows import case_rows_register

    from . import procedure
    from .deadlines import LABELS, bar_deadlines, bars_expire_daily
    from .forms import MEASURE_FORMS
    from .selectors import CASE_ROWS, case_page_part
    from .urls import urlpatterns

    workflow.role_register(procedure.BAN_DECIDER, procedure.may_decide_ban)
    workflow.transitions_register(procedure.MEASURE_TRANSITIONS)
    if procedure.measure_open not in workflow.MEASURE_OPEN_CHECKS:
        workflow.MEASURE_OPEN_CHECKS.append(procedure.measure_open)
    if procedure.measure_in_force not in workflow.MEASURE_IN_FORCE_CHECKS:
        workflow.MEASURE_IN_FORCE_CHECKS.append(procedure.measure_in_force)
    staff_forms.ACTION_FORMS.update(MEASURE_FORMS)
    staff_urls.staff_urls_register(urlpatterns)
    selectors.case_page_part_register(case_page_part)
    for rows in CASE_ROWS:
        case_rows_register(rows)
    next_step_register(procedure.next_measure_steps)
    deadlines.register(bar_deadlines, labels=LABELS)
    deadlines.register_daily(bars_expire_daily)
