from django.urls import re_path

from thuocdo.reports import views

app_name = "reports"

urlpatterns = [
    re_path(
        r"^evaluations/(?P<evaluation_id>[0-9]+)\.(?P<fmt>pdf|xlsx)$",
        views.evaluation_form,
        name="evaluation",
    ),
    re_path(
        r"^units/(?P<unit_id>[0-9]+)/periods/(?P<period_id>[0-9]+)\.(?P<fmt>pdf|xlsx)$",
        views.unit_summary_form,
        name="unit_summary",
    ),
]
