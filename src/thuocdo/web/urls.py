from django.urls import path

from thuocdo.web import views

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
]
