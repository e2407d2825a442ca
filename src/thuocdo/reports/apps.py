from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "thuocdo.reports"
    label = "reports"
    verbose_name = "Biểu mẫu, báo cáo"
