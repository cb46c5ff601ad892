"""Mobile push: platform applications (one per app and push service) and their endpoints (one per
device token). Nothing leaves the server: a message published to an endpoint lands in its inbox
(outboxes.py), with the payload chosen for the endpoint's platform.

    arn:aws:sns:<region>:<account>:app/<PLATFORM>/<name>
    arn:aws:sns:<region>:<account>:endpoint/<PLATFORM>/<name>/<uuid>
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping

from playground.sandboxes.models import Sandbox
from services.sns import events, topics
from services.sns.exceptions import NotFoundException, invalid_parameter
from services.sns.models import PlatformApplication, PlatformEndpoint

PLATFORMS = (
    "ADM",
    "APNS",
    "APNS_SANDBOX",
    "APNS_VOIP",
    "APNS_VOIP_SANDBOX",
    "MACOS",
    "MACOS_SANDBOX",
    "BAIDU",
    "GCM",
    "MPNS",
    "WNS",
)
SECRET_ATTRIBUTES = ("PlatformCredential", "PlatformPrincipal")
APPLICATION_ATTRIBUTES = (
    *SECRET_ATTRIBUTES,
    "EventEndpointCreated",
    "EventEndpointDeleted",
    "EventEndpointUpdated",
    "EventDeliveryFailure",
    "SuccessFeedbackRoleArn",
    "FailureFeedbackRoleArn",
    "SuccessFeedbackSampleRate",
    "ApplePlatformTeamID",
    "ApplePlatformBundleID",
    "AuthenticationMethod",
    "Enabled",
)
ENDPOINT_ATTRIBUTES = ("CustomUserData", "Enabled", "Token")
NAME = re.compile(r"^[A-Za-z0-9_.-]{1,256}$")
PAGE_SIZE = 100


def _check_application_attributes(attributes: Mapping[str, str]) -> dict[str, str]:
    checked: dict[str, str] = {}
    for name, value in attributes.items():
        if name not in APPLICATION_ATTRIBUTES:
            raise invalid_parameter("Attributes", f"Invalid attribute name: {name}")
        if name == "Enabled" and str(value).lower() not in ("true", "false"):
            raise invalid_parameter("Attributes", "Enabled must be true or false")
        checked[name] = str(value).lower() if name == "Enabled" else str(value)
    return checked


def application_attributes(application: PlatformApplication) -> dict[str, str]:
    shown = {key: value for key, value in application.attributes.items() if key not in SECRET_ATTRIBUTES}
    shown.setdefault("Enabled", "true")
    return shown


def application_create(
    *, sandbox: Sandbox, region: str, name: str, platform: str, attributes: Mapping[str, str], now: dt.datetime
) -> PlatformApplication:
    if not NAME.match(name or ""):
        raise invalid_parameter("Application Name")
    if platform not in PLATFORMS:
        raise invalid_parameter("Platform", f"{platform} is not one of {', '.join(PLATFORMS)}")
    checked = _check_application_attributes(attributes)
    token_auth = checked.get("AuthenticationMethod") == "Token" or "ApplePlatformTeamID" in checked
    if not checked.get("PlatformCredential"):
        raise invalid_parameter("Attributes", "PlatformCredential attribute is required")
    if platform.startswith(("APNS", "MACOS")) and not token_auth and not checked.get("PlatformPrincipal"):
        raise invalid_parameter("Attributes", "PlatformPrincipal attribute is required for Apple platforms")
    existing = PlatformApplication.objects.filter(sandbox=sandbox, region=region, platform=platform, name=name).first()
    if existing is not None:
        existing.sandbox = sandbox
        return existing
    application = PlatformApplication.objects.create(
        sandbox=sandbox,
        region=region,
        name=name,
        platform=platform,
        arn=f"arn:aws:sns:{region}:{sandbox.account_id}:app/{platform}/{name}",
        attributes=checked,
        created_at=now,
    )
    events.resource_created(
        sandbox,
        resource_type="platform-application",
        arn=application.arn,
        name=name,
        attributes=application_attributes(application),
        now=now,
    )
    return application


def application_by_arn(*, sandbox: Sandbox, arn: str, parameter: str = "PlatformApplicationArn") -> PlatformApplication:
    parts = (arn or "").split(":")
    if len(parts) != 6 or parts[2] != "sns" or not parts[5].startswith("app/"):
        raise invalid_parameter(parameter)
    application = PlatformApplication.objects.filter(sandbox=sandbox, arn=arn).first()
    if application is None:
        raise NotFoundException("PlatformApplication does not exist")
    application.sandbox = sandbox
    return application


def application_set_attributes(
    *, application: PlatformApplication, attributes: Mapping[str, str], now: dt.datetime
) -> None:
    application.attributes = {**application.attributes, **_check_application_attributes(attributes)}
    application.save(update_fields=["attributes"])
    events.resource_changed(
        application.sandbox,
        resource_type="platform-application",
        arn=application.arn,
        name=application.name,
        attributes=application_attributes(application),
        now=now,
    )


def application_delete(*, sandbox: Sandbox, arn: str, now: dt.datetime) -> None:
    application = PlatformApplication.objects.filter(sandbox=sandbox, arn=arn).first()
    if application is None:
        return
    events.resource_deleted(
        sandbox, resource_type="platform-application", arn=application.arn, name=application.name, now=now
    )
    application.delete()


def applications(
    *, sandbox: Sandbox, region: str, next_token: str | None
) -> tuple[list[PlatformApplication], str | None]:
    rows = PlatformApplication.objects.filter(sandbox=sandbox, region=region).order_by("arn")
    if next_token:
        rows = rows.filter(arn__gt=topics.decode_token(next_token))
    page = list(rows[: PAGE_SIZE + 1])
    token = topics.encode_token(page[PAGE_SIZE - 1].arn) if len(page) > PAGE_SIZE else None
    return page[:PAGE_SIZE], token


# --- endpoints -----------------------------------------------------------------------------------------


def endpoint_attributes(endpoint: PlatformEndpoint) -> dict[str, str]:
    shown = dict(endpoint.attributes)
    shown.setdefault("Enabled", "true")
    shown["Token"] = endpoint.token
    return shown


def _check_endpoint_attributes(attributes: Mapping[str, str]) -> dict[str, str]:
    checked: dict[str, str] = {}
    for name, value in attributes.items():
        if name not in ENDPOINT_ATTRIBUTES:
            raise invalid_parameter("Attributes", f"Invalid attribute name: {name}")
        if name == "Enabled" and str(value).lower() not in ("true", "false"):
            raise invalid_parameter("Attributes", "Enabled must be true or false")
        if name == "CustomUserData" and len(str(value).encode()) > 2048:
            raise invalid_parameter("CustomUserData", "must be at most 2048 bytes")
        checked[name] = str(value).lower() if name == "Enabled" else str(value)
    return checked


def endpoint_create(
    *,
    application: PlatformApplication,
    token: str,
    custom_user_data: str | None,
    attributes: Mapping[str, str] | None,
    now: dt.datetime,
) -> PlatformEndpoint:
    if not token:
        raise invalid_parameter("Token")
    checked = _check_endpoint_attributes(attributes or {})
    checked.pop("Token", None)
    if custom_user_data:
        checked["CustomUserData"] = custom_user_data
    existing = PlatformEndpoint.objects.filter(application=application, token=token).first()
    if existing is not None:
        wanted = {"Enabled": "true", **checked}
        have = {"Enabled": "true", **existing.attributes}
        if any(have.get(key) != value for key, value in wanted.items()):
            raise invalid_parameter(
                "Token",
                f"Endpoint {existing.arn} already exists with the same Token, but different attributes.",
            )
        existing.sandbox = application.sandbox
        existing.application = application
        return existing
    resource = f"endpoint/{application.platform}/{application.name}/{uuid.uuid4()}"
    endpoint = PlatformEndpoint.objects.create(
        sandbox=application.sandbox,
        application=application,
        arn=f"arn:aws:sns:{application.region}:{application.sandbox.account_id}:{resource}",
        token=token,
        attributes=checked,
        created_at=now,
    )
    endpoint.sandbox = application.sandbox
    return endpoint


def endpoint_by_arn(*, sandbox: Sandbox, arn: str, parameter: str = "EndpointArn") -> PlatformEndpoint:
    parts = (arn or "").split(":")
    if len(parts) != 6 or parts[2] != "sns" or not parts[5].startswith("endpoint/"):
        raise invalid_parameter(parameter)
    endpoint = PlatformEndpoint.objects.select_related("application").filter(sandbox=sandbox, arn=arn).first()
    if endpoint is None:
        raise NotFoundException("Endpoint does not exist")
    endpoint.sandbox = sandbox
    return endpoint


def endpoint_set_attributes(*, endpoint: PlatformEndpoint, attributes: Mapping[str, str]) -> None:
    checked = _check_endpoint_attributes(attributes)
    if "Token" in checked:
        endpoint.token = checked.pop("Token")
        if not endpoint.token:
            raise invalid_parameter("Token")
    endpoint.attributes = {**endpoint.attributes, **checked}
    endpoint.save(update_fields=["attributes", "token"])


def endpoint_delete(*, sandbox: Sandbox, arn: str) -> None:
    PlatformEndpoint.objects.filter(sandbox=sandbox, arn=arn).delete()


def endpoints(*, application: PlatformApplication, next_token: str | None) -> tuple[list[PlatformEndpoint], str | None]:
    rows = PlatformEndpoint.objects.filter(application=application).order_by("arn")
    if next_token:
        rows = rows.filter(arn__gt=topics.decode_token(next_token))
    page = list(rows[: PAGE_SIZE + 1])
    token = topics.encode_token(page[PAGE_SIZE - 1].arn) if len(page) > PAGE_SIZE else None
    return page[:PAGE_SIZE], token
