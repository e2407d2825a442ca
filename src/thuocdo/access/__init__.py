"""Who may see and change what. Every protected object is fetched through `access_*`.

Scope rules (see docs/architecture.md):
- an official sees their own things;
- a unit head, acting head or deputy sees their unit's subtree;
- agency leadership (head or deputy of the agency's root unit) sees the whole agency;
- the personnel office sees and configures their agency;
- an auditor reads everything of their agency, including the audit log, and changes nothing;
- an operator (superuser) sees and configures everything.
"""

from thuocdo.access.agencies import access_configured_agency, configured_agencies
from thuocdo.access.evaluations import (
    EvaluationAction,
    PeriodAction,
    UnitEvaluationAction,
    access_complaint,
    access_evaluation,
    access_notification,
    access_period,
    access_quota_group,
    access_unit_evaluation,
    reviewable_evaluations,
    visible_complaints,
    visible_evaluations,
    visible_notifications,
    visible_periods,
    visible_quota_groups,
    visible_unit_evaluations,
)
from thuocdo.access.frameworks import access_framework_version, visible_framework_versions
from thuocdo.access.helpers import (
    Action,
    access_assignment,
    access_audit_entry,
    access_audited_agency,
    access_job_position,
    access_person,
    access_unit,
    subtree_posts,
    subtree_units,
    visible_assignments,
    visible_audit_entries,
    visible_job_positions,
    visible_people,
    visible_units,
)
from thuocdo.access.jobs import access_job
from thuocdo.access.scope import Scope, reader_scope, scope_for
from thuocdo.access.whatif import access_whatif_agency, access_whatif_run, whatif_agencies
from thuocdo.access.work import (
    TaskAction,
    access_catalogue,
    access_exemption,
    access_plan,
    access_task,
    reviewable_tasks,
    subtree_tasks,
    visible_catalogues,
    visible_exemptions,
    visible_plans,
    visible_tasks,
)

__all__ = [
    "Action",
    "EvaluationAction",
    "PeriodAction",
    "Scope",
    "TaskAction",
    "UnitEvaluationAction",
    "access_assignment",
    "access_audit_entry",
    "access_audited_agency",
    "access_catalogue",
    "access_complaint",
    "access_configured_agency",
    "access_evaluation",
    "access_exemption",
    "access_framework_version",
    "access_job",
    "access_job_position",
    "access_notification",
    "access_period",
    "access_person",
    "access_plan",
    "access_quota_group",
    "access_task",
    "access_unit",
    "access_unit_evaluation",
    "access_whatif_agency",
    "access_whatif_run",
    "configured_agencies",
    "reader_scope",
    "reviewable_evaluations",
    "reviewable_tasks",
    "scope_for",
    "subtree_posts",
    "subtree_tasks",
    "subtree_units",
    "visible_assignments",
    "visible_audit_entries",
    "visible_catalogues",
    "visible_complaints",
    "visible_evaluations",
    "visible_exemptions",
    "visible_framework_versions",
    "visible_job_positions",
    "visible_notifications",
    "visible_people",
    "visible_periods",
    "visible_plans",
    "visible_quota_groups",
    "visible_tasks",
    "visible_unit_evaluations",
    "visible_units",
    "whatif_agencies",
]
