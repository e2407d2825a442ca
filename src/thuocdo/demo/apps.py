from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "thuocdo.demo"
    label = "demo"
    verbose_name = "Dữ liệu mẫu"
