"""The unsigned links SNS hands out, which a person or an endpoint opens with a plain GET:

    /sns/?Action=ConfirmSubscription&TopicArn=...&Token=...   SubscribeURL (HTTP/S confirmations)
    /sns/?Action=Unsubscribe&SubscriptionArn=...               UnsubscribeURL (every notification)
    /sns/confirmation.html?TopicArn=...&Token=...&Endpoint=... the link of a confirmation email
    /sns/unsubscribe.html?SubscriptionArn=...&Endpoint=...     the link at the foot of an email
    /sns/SimpleNotificationService-<id>.pem                     SigningCertURL: the signing certificate

The first two answer as AWS does, with the action's XML response (or an XML error); the .html
links answer with a small page. The sandbox is the account the ARN names; its clock gives "now".
Confirming through a link is an unauthenticated confirmation (ConfirmationWasAuthenticated false).
"""

from __future__ import annotations

import uuid
from xml.sax.saxutils import escape

from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.views.decorators.http import require_GET

from playground.gateway.errors import AwsError
from playground.sandboxes.models import Clock, Sandbox
from services.sns import signing, subscriptions, topics
from services.sns.exceptions import NotFoundException, invalid_parameter

XMLNS = "http://sns.amazonaws.com/doc/2010-03-31/"


def _base_url(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _sandbox_for(arn: str) -> Sandbox:
    parts = (arn or "").split(":")
    if len(parts) < 6 or parts[0] != "arn":
        raise invalid_parameter("TopicArn")
    sandbox = Sandbox.objects.filter(account_id=parts[4]).first()
    if sandbox is None:
        raise NotFoundException("Topic does not exist")
    sandbox.clock = Clock.current(sandbox.pk)
    return sandbox


def confirm_subscription(*, topic_arn: str, token: str) -> str:
    sandbox = _sandbox_for(topic_arn)
    now = sandbox.clock.now()
    with transaction.atomic():
        topic = topics.topic_by_arn(sandbox=sandbox, arn=topic_arn)
        subscription = subscriptions.confirm(
            topic=topic, token=token, authenticate_on_unsubscribe=False, authenticated=False, now=now
        )
    return subscription.arn


def unsubscribe(*, subscription_arn: str, base_url: str) -> None:
    sandbox = _sandbox_for(subscription_arn)
    now = sandbox.clock.now()
    with transaction.atomic():
        subscriptions.unsubscribe(
            sandbox=sandbox, arn=subscription_arn, authenticated=False, base_url=base_url, now=now
        )


def _xml(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/xml")


def _error(problem: AwsError, request_id: str) -> HttpResponse:
    kind = "Sender" if problem.status < 500 else "Receiver"
    return _xml(
        f'<ErrorResponse xmlns="{XMLNS}"><Error><Type>{kind}</Type><Code>{escape(problem.code)}</Code>'
        f"<Message>{escape(problem.message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
        problem.status,
    )


@require_GET
def action(request: HttpRequest) -> HttpResponse:
    request_id = str(uuid.uuid4())
    name = request.GET.get("Action", "")
    try:
        if name == "ConfirmSubscription":
            arn = confirm_subscription(topic_arn=request.GET.get("TopicArn", ""), token=request.GET.get("Token", ""))
            return _xml(
                f'<ConfirmSubscriptionResponse xmlns="{XMLNS}"><ConfirmSubscriptionResult>'
                f"<SubscriptionArn>{escape(arn)}</SubscriptionArn></ConfirmSubscriptionResult>"
                f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
                "</ConfirmSubscriptionResponse>"
            )
        if name == "Unsubscribe":
            unsubscribe(subscription_arn=request.GET.get("SubscriptionArn", ""), base_url=_base_url(request))
            return _xml(
                f'<UnsubscribeResponse xmlns="{XMLNS}"><ResponseMetadata><RequestId>{request_id}</RequestId>'
                "</ResponseMetadata></UnsubscribeResponse>"
            )
        raise AwsError(f"The action {name} is not valid for this web service.", code="InvalidAction")
    except AwsError as problem:
        return _error(problem, request_id)


def _page(title: str, text: str, status: int = 200) -> HttpResponse:
    return HttpResponse(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title></head>"
        f"<body><h1>{escape(title)}</h1><p>{escape(text)}</p></body></html>",
        status=status,
        content_type="text/html; charset=utf-8",
    )


@require_GET
def email_confirmation(request: HttpRequest) -> HttpResponse:
    try:
        arn = confirm_subscription(topic_arn=request.GET.get("TopicArn", ""), token=request.GET.get("Token", ""))
    except AwsError as problem:
        return _page("Subscription not confirmed", problem.message, 400 if problem.status < 500 else 500)
    return _page(
        "Subscription confirmed!",
        f"You have subscribed {request.GET.get('Endpoint', '')} to the topic. Your subscription's id is: {arn}",
    )


@require_GET
def email_unsubscribe(request: HttpRequest) -> HttpResponse:
    try:
        unsubscribe(subscription_arn=request.GET.get("SubscriptionArn", ""), base_url=_base_url(request))
    except AwsError as problem:
        return _page("Not unsubscribed", problem.message, 400 if problem.status < 500 else 500)
    return _page(
        "Unsubscribed",
        f"{request.GET.get('Endpoint', '')} will no longer receive messages from this topic.",
    )


@require_GET
def certificate(request: HttpRequest, key_id: str) -> HttpResponse:
    current = signing.signer()
    if key_id != current.key_id:
        return HttpResponseNotFound("No such certificate.", content_type="text/plain")
    return HttpResponse(current.certificate_pem, content_type="application/x-pem-file")
