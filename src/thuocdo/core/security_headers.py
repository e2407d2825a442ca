"""Security headers on every response (docs/operations.md, "Security headers").

Content-Security-Policy and Permissions-Policy everywhere; `Cache-Control: no-store` and
`Vary: Cookie` on every response to a signed-in user (or to a request that carries
credentials), so no shared or browser cache keeps a page meant for one person. Static
files are answered by WhiteNoise further in, before authentication runs, so they keep
their long cache lifetimes. X-Content-Type-Options and Referrer-Policy come from Django's
SecurityMiddleware (SECURE_CONTENT_TYPE_NOSNIFF, SECURE_REFERRER_POLICY).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        csp = getattr(settings, "CONTENT_SECURITY_POLICY", "")
        if csp:
            response.headers.setdefault("Content-Security-Policy", csp)
        permissions = getattr(settings, "PERMISSIONS_POLICY", "")
        if permissions:
            response.headers.setdefault("Permissions-Policy", permissions)
        if _carries_identity(request):
            response.headers["Cache-Control"] = "no-store"
            patch_vary_headers(response, ["Cookie"])
        return response


def _carries_identity(request: HttpRequest) -> bool:
    # `user` is set by AuthenticationMiddleware; a static file answered before it has none.
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return True
    return "HTTP_AUTHORIZATION" in request.META
