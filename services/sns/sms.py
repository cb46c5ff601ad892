"""SMS: the account's SMS attributes, the SMS sandbox (destination numbers verified with a one-time
password sent to them), the opt-out list, and publishing straight to a phone number.

Every sandbox (account) is in the SMS sandbox, as a new AWS account is: an SMS is delivered (lands
in the SMS outbox) only to a verified sandbox number that has not opted out. A message to any
other number is accepted by Publish and shown as a failed delivery, with the reason.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from django.db import IntegrityError, transaction

from playground.sandboxes.models import Sandbox
from services.sns import events, outboxes, topics
from services.sns.exceptions import (
    OptedOutException,
    ResourceNotFoundException,
    UserErrorException,
    VerificationException,
    invalid_parameter,
)
from services.sns.models import OptedOutNumber, OptIn, SandboxPhoneNumber, SmsSettings

E164 = re.compile(r"^\+[1-9]\d{1,14}$")
MAX_SANDBOX_NUMBERS = 10
PASSWORD_LIFETIME = dt.timedelta(hours=24)
OPT_IN_INTERVAL = dt.timedelta(days=30)
PAGE_SIZE = 100
SMS_TYPES = ("Promotional", "Transactional")
SETTABLE = (
    "DefaultSMSType",
    "DefaultSenderID",
    "MonthlySpendLimit",
    "DeliveryStatusIAMRole",
    "DeliveryStatusSuccessSamplingRate",
    "UsageReportS3Bucket",
)
LANGUAGES = ("en-US", "en-GB", "es-419", "es-ES", "de-DE", "fr-CA", "fr-FR", "it-IT", "ja-JP", "pt-BR", "kr-KR",
             "zh-CN", "zh-TW")  # fmt: skip


def check_number(number: str, *, parameter: str = "PhoneNumber") -> str:
    cleaned = (number or "").replace(" ", "").replace("-", "")
    if not E164.match(cleaned):
        raise invalid_parameter(parameter, "input incorrectly formatted")
    return cleaned


# --- attributes ----------------------------------------------------------------------------------------


def sms_defaults(sandbox: Sandbox) -> dict[str, str]:
    settings = SmsSettings.objects.filter(sandbox=sandbox).first()
    return dict(settings.attributes) if settings else {}


def sms_attributes_get(*, sandbox: Sandbox, names: list[str] | None) -> dict[str, str]:
    stored = sms_defaults(sandbox)
    if names:
        return {name: stored[name] for name in names if name in stored}
    return stored


def sms_attributes_set(*, sandbox: Sandbox, attributes: dict[str, str]) -> None:
    for name, value in attributes.items():
        if name not in SETTABLE:
            raise invalid_parameter(name)
        if name == "DefaultSMSType" and value not in SMS_TYPES:
            raise invalid_parameter("DefaultSMSType", "valid values are Promotional and Transactional")
        if name == "DefaultSenderID" and value and not re.match(r"^(?=.*[A-Za-z])[A-Za-z0-9]{1,11}$", value):
            raise invalid_parameter("DefaultSenderID", "1 to 11 letters and digits, at least one letter")
        if name == "MonthlySpendLimit" and not value.isdigit():
            raise invalid_parameter("MonthlySpendLimit", "must be a whole number of US dollars")
        if name == "DeliveryStatusSuccessSamplingRate" and not (value.isdigit() and 0 <= int(value) <= 100):
            raise invalid_parameter("DeliveryStatusSuccessSamplingRate", "must be an integer between 0 and 100")
    settings, _ = SmsSettings.objects.get_or_create(sandbox=sandbox)
    settings.attributes = {**settings.attributes, **attributes}
    settings.attributes = {key: value for key, value in settings.attributes.items() if value != ""}
    settings.save(update_fields=["attributes"])


# --- the SMS sandbox ----------------------------------------------------------------------------------


def _password() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def sandbox_number_create(*, sandbox: Sandbox, phone_number: str, language: str | None, now: dt.datetime) -> None:
    number = check_number(phone_number)
    if language and language not in LANGUAGES:
        raise invalid_parameter("LanguageCode")
    if outboxes.is_opted_out(sandbox=sandbox, phone_number=number):
        raise OptedOutException(f"{number} has opted out of receiving SMS messages")
    existing = SandboxPhoneNumber.objects.filter(sandbox=sandbox, phone_number=number).first()
    if existing is None:
        if SandboxPhoneNumber.objects.filter(sandbox=sandbox).count() >= MAX_SANDBOX_NUMBERS:
            raise UserErrorException(
                f"You can add at most {MAX_SANDBOX_NUMBERS} destination phone numbers to the SMS sandbox"
            )
        existing = SandboxPhoneNumber(sandbox=sandbox, phone_number=number, created_at=now)
    elif existing.status == SandboxPhoneNumber.VERIFIED:
        raise UserErrorException(f"{number} is already verified in the SMS sandbox")
    existing.one_time_password = _password()
    existing.password_expires_at = now + PASSWORD_LIFETIME
    existing.language_code = language or "en-US"
    try:
        with transaction.atomic():
            existing.save()
    except IntegrityError:
        raise UserErrorException(f"{number} is being added to the SMS sandbox already") from None
    outboxes.sms_send(
        sandbox=sandbox,
        phone_number=number,
        text=f"Your Amazon SNS verification code is {existing.one_time_password}. It expires in 24 hours.",
        message_id=secrets.token_hex(16),
        attributes={"SMSType": "Transactional", "purpose": "sandbox-verification"},
        kind="Verification",
        now=now,
    )


def sandbox_number_verify(*, sandbox: Sandbox, phone_number: str, password: str, now: dt.datetime) -> None:
    number = check_number(phone_number)
    row = SandboxPhoneNumber.objects.select_for_update().filter(sandbox=sandbox, phone_number=number).first()
    if row is None:
        raise ResourceNotFoundException(f"{number} is not in this account's SMS sandbox")
    if row.status == SandboxPhoneNumber.VERIFIED:
        return
    if row.password_expires_at <= now:
        raise VerificationException("The one-time password has expired; create the sandbox phone number again")
    if not secrets.compare_digest(row.one_time_password, password or ""):
        raise VerificationException("Invalid one-time password")
    row.status = SandboxPhoneNumber.VERIFIED
    row.save(update_fields=["status"])


def sandbox_number_delete(*, sandbox: Sandbox, phone_number: str) -> None:
    number = check_number(phone_number)
    if not SandboxPhoneNumber.objects.filter(sandbox=sandbox, phone_number=number).delete()[0]:
        raise ResourceNotFoundException(f"{number} is not in this account's SMS sandbox")


def sandbox_numbers(
    *, sandbox: Sandbox, next_token: str | None, max_results: int | None
) -> tuple[list[SandboxPhoneNumber], str | None]:
    if max_results is not None and not 1 <= max_results <= PAGE_SIZE:
        raise invalid_parameter("MaxResults")
    limit = max_results or PAGE_SIZE
    rows = SandboxPhoneNumber.objects.filter(sandbox=sandbox).order_by("phone_number")
    if next_token:
        rows = rows.filter(phone_number__gt=topics.decode_token(next_token))
    page = list(rows[: limit + 1])
    token = topics.encode_token(page[limit - 1].phone_number) if len(page) > limit else None
    return page[:limit], token


# --- opting out and in ----------------------------------------------------------------------------------


def phone_opt_out(*, sandbox: Sandbox, phone_number: str, now: dt.datetime) -> None:
    """The number replied STOP (the GUI simulates the reply): no more SMS messages reach it."""
    number = check_number(phone_number, parameter="phoneNumber")
    OptedOutNumber.objects.get_or_create(sandbox=sandbox, phone_number=number, defaults={"opted_out_at": now})


def is_opted_out(*, sandbox: Sandbox, phone_number: str) -> bool:
    number = check_number(phone_number, parameter="phoneNumber")
    return outboxes.is_opted_out(sandbox=sandbox, phone_number=number)


def opted_out_numbers(*, sandbox: Sandbox, next_token: str | None) -> tuple[list[str], str | None]:
    rows = OptedOutNumber.objects.filter(sandbox=sandbox).order_by("phone_number")
    if next_token:
        rows = rows.filter(phone_number__gt=topics.decode_token(next_token, parameter="nextToken"))
    page = list(rows.values_list("phone_number", flat=True)[: PAGE_SIZE + 1])
    token = topics.encode_token(page[PAGE_SIZE - 1]) if len(page) > PAGE_SIZE else None
    return page[:PAGE_SIZE], token


def phone_opt_in(*, sandbox: Sandbox, phone_number: str, now: dt.datetime) -> None:
    number = check_number(phone_number, parameter="phoneNumber")
    last = OptIn.objects.filter(sandbox=sandbox, phone_number=number).first()
    if not OptedOutNumber.objects.filter(sandbox=sandbox, phone_number=number).exists():
        return
    if last is not None and last.opted_in_at + OPT_IN_INTERVAL > now:
        raise invalid_parameter("phoneNumber", "a phone number can be opted in only once every 30 days")
    OptedOutNumber.objects.filter(sandbox=sandbox, phone_number=number).delete()
    OptIn.objects.update_or_create(sandbox=sandbox, phone_number=number, defaults={"opted_in_at": now})


# --- publishing to a phone number -----------------------------------------------------------------------


def sms_publish(
    *,
    sandbox: Sandbox,
    phone_number: str,
    message: str,
    message_id: str,
    attributes: dict[str, dict[str, Any]],
    now: dt.datetime,
) -> None:
    """Publish(PhoneNumber=...): into the SMS outbox, or a failed flow when it cannot be delivered."""
    number = check_number(phone_number)
    refusal = outboxes.sms_refusal(sandbox=sandbox, phone_number=number)
    if refusal is not None:
        events.flow(
            sandbox, events.FAILED, source=events.CLIENT, target=f"sms:{number}", item_id=message_id, now=now,
            detail={"protocol": "sms", "attempt": 1, "error_code": refusal[0], "reason": refusal[1]},
        )  # fmt: skip
        return
    outboxes.sms_send(
        sandbox=sandbox,
        phone_number=number,
        text=message,
        message_id=message_id,
        attributes=outboxes.sms_attributes(attributes, sms_defaults(sandbox)),
        now=now,
    )
    events.flow(
        sandbox, events.DELIVERED, source=events.CLIENT, target=f"sms:{number}", item_id=message_id, now=now,
        detail={"protocol": "sms", "attempt": 1},
    )  # fmt: skip
