from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "thuocdo.imports"
    label = "imports"
    verbose_name = "Nhập, xuất Excel"
