from django.urls import path

from thuocdo.web import (
    views,
    views_catalogue,
    views_criteria_sets,
    views_dashboards,
    views_evaluations,
    views_framework_drafts,
    views_frameworks,
    views_jobs,
    views_whatif,
    views_work,
)

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("healthz", views.healthz, name="healthz"),
    path("units/", views.unit_list, name="unit_list"),
    path("units/<int:unit_id>/", views.unit_detail, name="unit_detail"),
    path("units/<int:unit_id>/join/", views.unit_join, name="unit_join"),
    path("units/<int:unit_id>/new-unit/", views.unit_add_child, name="unit_add_child"),
    path("people/<int:person_id>/", views.person_detail, name="person_detail"),
    path("people/<int:person_id>/move/", views.person_move_view, name="person_move"),
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/check/", views.audit_check, name="audit_check"),
    # frameworks (issue 14): read the framework in force, files, YAML import
    path("frameworks/", views_frameworks.framework_list, name="framework_list"),
    path("frameworks/import/", views_frameworks.framework_import, name="framework_import"),
    # criteria sets per job position (issue 14, point 2)
    path(
        "frameworks/<int:version_id>/criteria-sets/",
        views_criteria_sets.set_list,
        name="criteria_set_list",
    ),
    path(
        "frameworks/<int:version_id>/criteria-sets/edit/",
        views_criteria_sets.set_edit,
        name="criteria_set_edit",
    ),
    path(
        "frameworks/criteria-sets/<int:set_id>/",
        views_criteria_sets.set_detail,
        name="criteria_set",
    ),
    path(
        "frameworks/criteria-sets/<int:set_id>/delete/",
        views_criteria_sets.set_delete,
        name="criteria_set_delete",
    ),
    path("frameworks/<int:version_id>/", views_frameworks.framework_detail, name="framework"),
    path(
        "frameworks/<int:version_id>/yaml/",
        views_frameworks.framework_yaml_file,
        name="framework_yaml",
    ),
    path(
        "frameworks/<int:version_id>/xlsx/",
        views_frameworks.framework_xlsx_file,
        name="framework_xlsx",
    ),
    path(
        "frameworks/presets/<slug:name>/",
        views_frameworks.preset_detail,
        name="framework_preset",
    ),
    path(
        "frameworks/presets/<slug:name>/yaml/",
        views_frameworks.preset_yaml_file,
        name="framework_preset_yaml",
    ),
    path(
        "frameworks/presets/<slug:name>/xlsx/",
        views_frameworks.preset_xlsx_file,
        name="framework_preset_xlsx",
    ),
    # jobs (issue 11)
    path("jobs/<int:job_id>/", views_jobs.job_detail, name="job"),
    path("jobs/<int:job_id>/status/", views_jobs.job_status, name="job_status"),
    path("jobs/<int:job_id>/retry/", views_jobs.job_retry_view, name="job_retry"),
    path("jobs/<int:job_id>/file/", views_jobs.job_file_view, name="job_file"),
    # work (issue 4)
    path("work/", views_work.my_work, name="work_mine"),
    path("work/why/", views_work.my_kpi, name="work_why"),
    path("work/assign/", views_work.assign, name="work_assign"),
    path("work/board/", views_work.board, name="work_board"),
    path("work/review/", views_work.review_queue, name="work_review"),
    path("work/tasks/<int:task_id>/", views_work.task_detail, name="work_task"),
    path("work/tasks/<int:task_id>/act/", views_work.task_act, name="work_task_act"),
    path("work/tasks/<int:task_id>/explain/", views_work.task_explain, name="work_task_explain"),
    path("work/tasks/<int:task_id>/extend/", views_work.task_extend, name="work_task_extend"),
    path(
        "work/tasks/<int:task_id>/exemption/",
        views_work.exemption_request,
        name="work_exemption_request",
    ),
    path(
        "work/exemptions/<int:exemption_id>/decide/",
        views_work.exemption_decide,
        name="work_exemption_decide",
    ),
    # dashboards and search (issue 6)
    path("dashboard/", views_dashboards.my_dashboard, name="dashboard"),
    path("dashboard/unit/<int:unit_id>/", views_dashboards.unit_dashboard, name="dashboard_unit"),
    path("dashboard/agency/", views_dashboards.agency_dashboard, name="dashboard_agency"),
    path(
        "dashboard/agency/refresh/",
        views_dashboards.agency_refresh,
        name="dashboard_agency_refresh",
    ),
    path("search/", views_dashboards.search, name="search"),
    # evaluations (issue 5)
    path("evaluations/", views_evaluations.index, name="ev_index"),
    path("evaluations/review/", views_evaluations.review_queue, name="ev_review_queue"),
    path("evaluations/notifications/", views_evaluations.notifications, name="ev_notifications"),
    path(
        "evaluations/notifications/email/",
        views_evaluations.notifications_email,
        name="ev_notifications_email",
    ),
    path(
        "evaluations/notifications/<int:notification_id>/read/",
        views_evaluations.notification_read,
        name="ev_notification_read",
    ),
    # preview of a draft framework over decided periods (issue 14, point 3)
    path("evaluations/whatif/", views_whatif.start, name="whatif_start"),
    path("evaluations/whatif/<int:run_id>/", views_whatif.result, name="whatif_run"),
    path(
        "evaluations/whatif/<int:run_id>/lines/<int:line_id>/",
        views_whatif.line_detail,
        name="whatif_line",
    ),
    path("evaluations/periods/new/", views_evaluations.period_create, name="ev_period_create"),
    path("evaluations/periods/<int:period_id>/", views_evaluations.period_detail, name="ev_period"),
    path(
        "evaluations/periods/<int:period_id>/run/<slug:kind>/",
        views_evaluations.period_job,
        name="ev_period_job",
    ),
    path(
        "evaluations/periods/<int:period_id>/step/",
        views_evaluations.period_step,
        name="ev_period_step",
    ),
    path(
        "evaluations/periods/<int:period_id>/reopen/",
        views_evaluations.period_reopen,
        name="ev_period_reopen",
    ),
    path(
        "evaluations/periods/<int:period_id>/deadlines/",
        views_evaluations.period_deadlines,
        name="ev_period_deadlines",
    ),
    path(
        "evaluations/periods/<int:period_id>/units/<int:unit_id>/progress/",
        views_evaluations.unit_progress,
        name="ev_unit_progress",
    ),
    path(
        "evaluations/periods/<int:period_id>/minutes/<int:unit_id>/",
        views_evaluations.minutes,
        name="ev_minutes",
    ),
    path("evaluations/<int:evaluation_id>/", views_evaluations.evaluation_detail, name="ev_detail"),
    path(
        "evaluations/<int:evaluation_id>/self/", views_evaluations.evaluation_self, name="ev_self"
    ),
    path(
        "evaluations/<int:evaluation_id>/review/",
        views_evaluations.evaluation_review,
        name="ev_review",
    ),
    path(
        "evaluations/<int:evaluation_id>/override/",
        views_evaluations.evaluation_override,
        name="ev_override",
    ),
    path(
        "evaluations/<int:evaluation_id>/party/",
        views_evaluations.evaluation_party,
        name="ev_party",
    ),
    path(
        "evaluations/<int:evaluation_id>/complaint/",
        views_evaluations.complaint_file,
        name="ev_complaint_file",
    ),
    path(
        "evaluations/complaints/<int:complaint_id>/",
        views_evaluations.complaint_detail,
        name="ev_complaint",
    ),
    path(
        "evaluations/units/<int:unit_evaluation_id>/",
        views_evaluations.unit_detail,
        name="ev_unit",
    ),
    path(
        "evaluations/units/<int:unit_evaluation_id>/kpi/",
        views_evaluations.unit_kpi,
        name="ev_unit_kpi",
    ),
    path(
        "evaluations/units/<int:unit_evaluation_id>/decide/",
        views_evaluations.unit_decide,
        name="ev_unit_decide",
    ),
    path("evaluations/groups/<int:group_id>/", views_evaluations.group_detail, name="ev_group"),
    path(
        "evaluations/groups/<int:group_id>/decide/",
        views_evaluations.group_decide,
        name="ev_group_decide",
    ),
    path(
        "evaluations/groups/<int:group_id>/exception/",
        views_evaluations.group_exception,
        name="ev_group_exception",
    ),
    # product catalogues and plans
    path("work/catalogues/", views_catalogue.catalogue_list, name="work_catalogue_list"),
    path(
        "work/catalogues/<int:catalogue_id>/",
        views_catalogue.catalogue_detail,
        name="work_catalogue",
    ),
    path(
        "work/catalogues/<int:catalogue_id>/propose/",
        views_catalogue.catalogue_propose,
        name="work_catalogue_propose",
    ),
    path(
        "work/catalogues/versions/<int:version_id>/products/",
        views_catalogue.product_add,
        name="work_product_add",
    ),
    path(
        "work/catalogues/versions/<int:version_id>/standardise/",
        views_catalogue.version_standardise,
        name="work_version_standardise",
    ),
    path(
        "work/catalogues/versions/<int:version_id>/decide/",
        views_catalogue.version_decide,
        name="work_version_decide",
    ),
    path(
        "work/catalogues/products/<int:product_id>/edit/",
        views_catalogue.product_edit,
        name="work_product_edit",
    ),
    path("work/plans/", views_catalogue.plan_list, name="work_plan_list"),
    path("work/plans/new/", views_catalogue.plan_new, name="work_plan_new"),
    path("work/plans/<int:plan_id>/", views_catalogue.plan_detail, name="work_plan"),
    path(
        "work/plans/<int:plan_id>/items/",
        views_catalogue.plan_item_add,
        name="work_plan_item_add",
    ),
    # framework drafting and adoption (issue 14, points 2 and 4)
    path("frameworks/drafts/", views_framework_drafts.draft_list, name="fwdraft_list"),
    path("frameworks/drafts/new/", views_framework_drafts.draft_create, name="fwdraft_create"),
    path(
        "frameworks/drafts/<int:version_id>/",
        views_framework_drafts.draft_detail,
        name="fwdraft_detail",
    ),
    path(
        "frameworks/drafts/<int:version_id>/edit/",
        views_framework_drafts.draft_edit,
        name="fwdraft_edit",
    ),
    path(
        "frameworks/drafts/<int:version_id>/adopt/",
        views_framework_drafts.draft_adopt,
        name="fwdraft_adopt",
    ),
]
