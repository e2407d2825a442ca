"""The webhooks page of an agency (docs/webhooks.md): its subscriptions and latest
deliveries, and "Gửi lại" for a delivery. For the agency's personnel office and operators.

The page belongs to the API app, as its models and services do (the web app and the API
are independent siblings: neither imports the other); `thuocdo.web.urls` mounts it by
name, as `config.urls` mounts every app's pages, and it renders in the web app's layout.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from thuocdo.access import access_configured_agency, configured_agencies
from thuocdo.api.models import WebhookDelivery
from thuocdo.api.webhooks import access_delivery, agency_deliveries, agency_subscriptions
from thuocdo.api.webhooks import delivery_replay as replay
from thuocdo.core import clock
from thuocdo.core.errors import AccessDenied, ThuocDoError
from thuocdo.core.models import User

BADGES: dict[str, str] = {
    WebhookDelivery.State.PENDING: "",
    WebhookDelivery.State.DELIVERED: "state-accepted",
    WebhookDelivery.State.FAILED: "ev-state-draft",
    WebhookDelivery.State.GIVEN_UP: "state-returned",
}


def _page_url(agency_id: int) -> str:
    return f"{reverse('integrations:webhooks')}?agency={agency_id}"


@login_required
@require_GET
def webhooks(request: HttpRequest) -> HttpResponse:
    agencies = configured_agencies(request.user)
    chosen = request.GET.get("agency")
    if chosen is None:
        if not agencies:
            raise AccessDenied(
                "Chỉ bộ phận tổ chức cán bộ của cơ quan mới quản lý webhook.",
                "Only the agency's personnel office manages webhooks.",
            )
        chosen = str(agencies[0].pk)
    agency = access_configured_agency(request.user, chosen)
    subscriptions = list(agency_subscriptions(agency))
    deliveries = agency_deliveries(agency)
    for delivery in deliveries:
        delivery.badge = BADGES.get(delivery.state, "")  # type: ignore[attr-defined]
        delivery.may_replay = (  # type: ignore[attr-defined]
            delivery.subscription.is_active and delivery.subscription.client.is_active
        )
    return render(
        request,
        "web/webhooks.html",
        {
            "agency": agency,
            "agencies": agencies,
            "subscriptions": subscriptions,
            "deliveries": deliveries,
            "now": clock.now(),
        },
    )


@login_required
@require_POST
def delivery_replay(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = access_delivery(request.user, delivery_id)
    agency_id = delivery.subscription.client.agency_id
    assert isinstance(request.user, User)
    try:
        replay(actor=request.user, delivery=delivery)
    except ThuocDoError as error:
        messages.error(request, error.message(getattr(request, "LANGUAGE_CODE", "vi")))
    else:
        messages.success(
            request, _("Đã xếp lịch gửi lại sự kiện %(event)s.") % {"event": delivery.event}
        )
    return redirect(_page_url(agency_id))
