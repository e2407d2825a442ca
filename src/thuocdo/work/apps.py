from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


def _assignment_changed(sender: type, instance: Any, **kwargs: Any) -> None:
    """A post changed: the role behind the person's kept live points may have (work.live)."""
    from thuocdo.work import live

    live.touch([instance.person_id])


class WorkConfig(AppConfig):
    name = "thuocdo.work"
    label = "work"
    verbose_name = "Công việc"

    def ready(self) -> None:
        from thuocdo.org.models import Assignment
        from thuocdo.work import jobs  # noqa: F401  # registers the warm-up job kind

        post_save.connect(_assignment_changed, sender=Assignment, dispatch_uid="work.live.post")
        post_delete.connect(_assignment_changed, sender=Assignment, dispatch_uid="work.live.del")
