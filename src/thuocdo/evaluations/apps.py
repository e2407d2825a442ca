from django.apps import AppConfig


class EvaluationsConfig(AppConfig):
    name = "thuocdo.evaluations"
    label = "evaluations"
    verbose_name = "Đánh giá, xếp loại"
