from django.urls import path

from thuocdo.api.main import api

urlpatterns = [path("v1/", api.urls)]
