from django.apps import AppConfig


class EvaluationsConfig(AppConfig):
    name = "thuocdo.evaluations"
    label = "evaluations"
    verbose_name = "Đánh giá, xếp loại"

    def ready(self) -> None:
        from thuocdo.evaluations import (
            jobs,  # noqa: F401  # registers the period job kinds
            whatif,  # noqa: F401  # and the preview's
        )
        from thuocdo.evaluations.notices import keep
        from thuocdo.org.notices import keep_with

        keep_with(keep)  # in-app notices of every layer become Notification rows
