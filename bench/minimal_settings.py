"""The floor the gateway is measured against: Django under the same Daphne, with one view that
answers any POST with a fixed, valid STS GetCallerIdentity response. No gateway middleware, no
middleware at all, no database, no apps: what is left is Daphne, Django's ASGI handler, URL
resolution and one thread hop to a sync view, which every request to our server pays too.

    DJANGO_SETTINGS_MODULE=bench.minimal_settings daphne bench.minimal_asgi:application
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import re_path

SECRET_KEY = "bench-minimal-view-not-a-secret"  # signs nothing: no sessions, no CSRF here
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES: dict[str, Any] = {}
ROOT_URLCONF = __name__
USE_TZ = True
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

CALLER_IDENTITY = b"""<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:iam::123456789012:user/playground</Arn>
    <UserId>AIDAJQABLZS4A3QDU576Q</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>
"""


def caller_identity(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    response = HttpResponse(CALLER_IDENTITY, content_type="text/xml")
    response["x-amzn-RequestId"] = "01234567-89ab-cdef-0123-456789abcdef"
    return response


urlpatterns = [re_path(r"", caller_identity)]
