from django.apps import AppConfig


class WorkConfig(AppConfig):
    name = "thuocdo.work"
    label = "work"
    verbose_name = "Công việc"
