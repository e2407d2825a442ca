from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "thuocdo.api"
    label = "api"
    verbose_name = "API tích hợp"
