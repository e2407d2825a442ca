from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "thuocdo.org"
    label = "org"
    verbose_name = "Tổ chức"
