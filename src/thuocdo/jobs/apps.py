from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "thuocdo.jobs"
    label = "jobs"
    verbose_name = "Tiến trình nền"
