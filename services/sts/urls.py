"""The addresses STS publishes under /sts/: the OpenID Connect discovery document and key set of
each sandbox's web identity tokens (GetWebIdentityToken), for relying parties to verify them."""

from __future__ import annotations

from django.urls import path

from services.sts import views

app_name = "sts"

urlpatterns = [
    path("<str:account_id>/.well-known/openid-configuration", views.openid_configuration, name="openid-configuration"),
    path("<str:account_id>/.well-known/jwks.json", views.jwks, name="jwks"),
]
