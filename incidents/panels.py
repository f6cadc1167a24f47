"""The dashboard's panels from apps above incidents (casetasks: "Your tasks").

Each app registers a template and a function of the user that returns the template's
context, or None when it has nothing for them (from its `AppConfig.ready`), so the dashboard
view never imports it and each panel keeps its own bounded queries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PanelContext = Callable[[Any], dict[str, Any] | None]
DASHBOARD_PANELS: list[tuple[str, PanelContext]] = []


def dashboard_panel_register(template: str, context: PanelContext) -> None:
    if (template, context) not in DASHBOARD_PANELS:
        DASHBOARD_PANELS.append((template, context))


def dashboard_panels(user: Any) -> list[tuple[str, dict[str, Any]]]:
    """The registered panels that have something for `user`: (template, its context)."""
    panels = []
    for template, context in DASHBOARD_PANELS:
        values = context(user)
        if values is not None:
            panels.append((template, values))
    return panels
