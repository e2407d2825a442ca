from django.urls import path

from thuocdo.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.index, name="index"),
    path("preview/", views.preview, name="preview"),
    path("confirm/", views.confirm, name="confirm"),
    path("cancel/", views.cancel, name="cancel"),
    path("jobs/<int:job_id>/", views.job_detail, name="job"),
    path("jobs/<int:job_id>/status/", views.job_status, name="job_status"),
    path("<slug:kind>/template/", views.template, name="template"),
    path("<slug:kind>/export/", views.export, name="export"),
]
