from django.urls import path

from thuocdo.web import views, views_work

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
]
