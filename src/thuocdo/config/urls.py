from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from thuocdo.core.metrics import metrics

urlpatterns: list[URLPattern | URLResolver] = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("thuocdo.api.urls")),
    path("imports/", include("thuocdo.imports.urls")),
    path("reports/", include("thuocdo.reports.urls")),
    # the webhooks of the agency's integration clients (docs/webhooks.md): the API app's page
    path(
        "integrations/webhooks/",
        include(("thuocdo.api.page_urls", "integrations"), namespace="integrations"),
    ),
    path("", include("thuocdo.web.urls")),
]

if settings.OIDC_ENABLED:  # docs/sso.md: single sign-on beside local accounts
    urlpatterns.insert(-1, path("oidc/", include("mozilla_django_oidc.urls")))

if settings.METRICS:  # docs/operations.md, "Metrics"
    urlpatterns.insert(0, path("metrics", metrics, name="metrics"))
