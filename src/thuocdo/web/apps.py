from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "thuocdo.web"
    label = "web"
    verbose_name = "Giao diện"
