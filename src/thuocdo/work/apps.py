from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


def _assignment_changed(sender: type, instance: Any, **kwargs: Any) -> None:
    """A post changed: the role behind the person's kept live points may have (work.live)."""
    from thuocdo.work import live

    live.touch([instance.person_id])


# Saves of a framework version that leave which framework is in force unchanged.
_NOT_IN_FORCE = frozenset({"first_used_at", "updated_at", "title"})


def _framework_changed(sender: type, instance: Any, **kwargs: Any) -> None:
    """A framework version was published, retired, changed or deleted: the framework in
    force may have changed for its agency's people (for everyone's, a national one)."""
    from thuocdo.frameworks.models import FrameworkVersion
    from thuocdo.work import live

    fields = kwargs.get("update_fields")
    if fields is not None and set(fields) <= _NOT_IN_FORCE:
        return
    if instance.status == FrameworkVersion.Status.DRAFT:
        return  # a draft is in force nowhere
    live.touch_agency(instance.agency_id)


def _period_changed(sender: type, instance: Any, **kwargs: Any) -> None:
    """An evaluation period was opened, deleted or saved whole: the framework in force for
    the agency's months may have changed (it follows the periods' `framework_key`)."""
    from thuocdo.work import live

    fields = kwargs.get("update_fields")
    if fields is not None and "framework_key" not in fields:
        return  # a step of the workflow: the framework stays
    live.touch_agency(instance.agency_id)


class WorkConfig(AppConfig):
    name = "thuocdo.work"
    label = "work"
    verbose_name = "Công việc"

    def ready(self) -> None:
        from thuocdo.frameworks.models import FrameworkVersion
        from thuocdo.org.models import Assignment
        from thuocdo.work import jobs  # noqa: F401  # registers the warm-up job kind

        post_save.connect(_assignment_changed, sender=Assignment, dispatch_uid="work.live.post")
        post_delete.connect(_assignment_changed, sender=Assignment, dispatch_uid="work.live.del")
        # Which framework live points use (`framework_in_force`) follows the periods and the
        # published versions. Periods belong to a higher layer: named by label, not imported.
        for signal, suffix in ((post_save, "post"), (post_delete, "del")):
            signal.connect(
                _framework_changed, sender=FrameworkVersion, dispatch_uid=f"work.live.fw.{suffix}"
            )
            signal.connect(
                _period_changed,
                sender="evaluations.Period",
                dispatch_uid=f"work.live.period.{suffix}",
            )
