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
    re_path(
        r"^units/(?P<unit_id>[0-9]+)/periods/(?P<period_id>[0-9]+)/all\.pdf$",
        views.unit_bundle,
        name="unit_bundle",
    ),
]

# --- issue 6: personnel lists, the agency's summary, a person's history -------------------------
from thuocdo.reports import personnel_views  # noqa: E402

urlpatterns += [
    re_path(r"^personnel/$", personnel_views.personnel_page, name="personnel_page"),
    re_path(
        r"^personnel/(?P<report>excellent-streak|not-completed|candidates)\.(?P<fmt>pdf|xlsx)$",
        personnel_views.personnel_download,
        name="personnel",
    ),
    re_path(
        r"^agency/periods/(?P<period_id>[0-9]+)\.(?P<fmt>pdf|xlsx)$",
        personnel_views.agency_summary_download,
        name="agency_summary",
    ),
    re_path(
        r"^people/(?P<person_id>[0-9]+)/history\.(?P<fmt>pdf|xlsx)$",
        personnel_views.person_history_download,
        name="person_history",
    ),
]
