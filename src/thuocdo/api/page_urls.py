"""The webhooks page's routes, mounted by `thuocdo.config.urls` as `integrations`."""

from django.urls import path

from thuocdo.api import pages

urlpatterns = [
    path("", pages.webhooks, name="webhooks"),
    path(
        "deliveries/<int:delivery_id>/replay/",
        pages.delivery_replay,
        name="webhook_replay",
    ),
]
