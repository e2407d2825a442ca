"""Who may see and change what. Every protected object is fetched through `access_*`.

Scope rules (see docs/architecture.md):
- an official sees their own things;
- a unit head, acting head or deputy sees their unit's subtree;
- agency leadership (head or deputy of the agency's root unit) sees the whole agency;
- the personnel office sees and configures their agency;
- an auditor reads everything of their agency, including the audit log, and changes nothing;
- an operator (superuser) sees and configures everything.
"""

from thuocdo.access.helpers import (
    Action,
    access_assignment,
    access_audit_entry,
    access_job_position,
    access_person,
    access_unit,
    visible_assignments,
    visible_audit_entries,
    visible_job_positions,
    visible_people,
    visible_units,
)
from thuocdo.access.scope import Scope, scope_for
from thuocdo.access.work import (
    TaskAction,
    access_catalogue,
    access_exemption,
    access_plan,
    access_task,
    reviewable_tasks,
    visible_catalogues,
    visible_exemptions,
    visible_plans,
    visible_tasks,
)

__all__ = [
    "Action",
    "Scope",
    "TaskAction",
    "access_assignment",
    "access_audit_entry",
    "access_catalogue",
    "access_exemption",
    "access_job_position",
    "access_person",
    "access_plan",
    "access_task",
    "access_unit",
    "reviewable_tasks",
    "scope_for",
    "visible_assignments",
    "visible_audit_entries",
    "visible_catalogues",
    "visible_exemptions",
    "visible_job_positions",
    "visible_people",
    "visible_plans",
    "visible_tasks",
    "visible_units",
]
