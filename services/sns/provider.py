"""SNS: the operations of botocore's sns model (query protocol). Each method reads its parameters,
finds what they name and calls one domain function; the rules live in the domain modules:

    topics.py         create / find / list / attributes / tags / permissions / data protection / delete
    subscriptions.py  subscribe, confirm, unsubscribe, list, subscription attributes
    publishing.py     Publish, PublishBatch and topic_publish, the function other services call;
                      messages.py  the checks on a message
    delivery.py       the registry of deliverers per protocol (Lambda and Firehose join it), queued
                      attempts and retries, dead-letter queues;  deliverers.py  the built-in ones
    filters.py        filter policies: checks, limits, matching;  retries.py  HTTP/S delivery policies
    envelopes.py      what subscribers receive;  signing.py  message signatures and the certificate
    policies.py       queue policies (may this topic send?), topic policies
    outboxes.py       email / email-json / SMS / push outboxes;  sms.py  the SMS sandbox, opt-outs
    platforms.py      platform applications and endpoints;  views.py  SubscribeURL, UnsubscribeURL...
    events.py         the live events (kinds listed there);  graph.py  the diagram's nodes and edges

LIMITATIONS (deliberate differences from AWS):
- Deliveries to SQS, email, SMS and mobile push happen inside the Publish call's transaction (AWS
  delivers asynchronously, within milliseconds); HTTP/S deliveries are attempted by a Celery worker
  right after the call, and retried by the tick on the sandbox clock. Retries have no jitter, the
  backoff functions approximate AWS's curves, and throttlePolicy (maxReceivesPerSecond) is stored
  but not enforced. SQS, Lambda and Firehose endpoints are never "unavailable": AWS's 100,015
  retries for AWS-managed endpoints never happen here; a refusal (queue policy, missing queue,
  oversized raw message) is a client-side error, which AWS does not retry either.
- HTTP/S: 2xx is delivered; 429, 5xx, timeouts and connection errors are retried; other statuses
  are client-side errors (dead-lettered at once). Each attempt waits at most 2 s to connect and
  5 s for the answer. HTTPS endpoints must present a certificate the server trusts.
- Only subscribers of the topic's own sandbox (account): SQS queues, DLQs and platform endpoints of
  another account are not reached; cross-account subscription confirmation does not exist here.
  Topic policies (Policy, AddPermission) are stored and returned but not enforced, since every
  caller of a sandbox is its owner. Queue policies ARE enforced for SNS-to-SQS delivery.
- Every sandbox is in the SMS sandbox, for good: SMS reach only verified sandbox numbers (the
  others are accepted by Publish and shown as failed deliveries). No SMS or push message leaves the
  server; they land in outboxes. Opting out happens only through the domain function
  sms.phone_opt_out (the GUI simulates a STOP reply). ListOriginationNumbers is always empty.
- Encryption at rest (KmsMasterKeyId): Publish checks the key and makes (and reuses for five
  minutes) a data key, failing with SNS's KMS errors as AWS does; pending HTTP/S deliveries are
  stored sealed with the data key, and an attempt after the five minutes asks KMS again (failing when
  the key is unusable).
- FIFO topics deliver to SQS (FIFO and standard) queues only; message archiving and replay
  (ArchivePolicy, ReplayPolicy) are stored and returned but nothing is archived or replayed.
- Delivery-status logging (the *FeedbackRoleArn attributes), data protection policies (stored and
  returned), TracingConfig and message data protection are not acted upon.
- Filter policy and subscription changes take effect at once (AWS: up to 15 minutes).
- The UnsubscribeConfirmation sent to an HTTP/S endpoint carries a SubscribeURL, but the deleted
  subscription cannot be restored through it.
- Error messages follow AWS's wording where it is documented or well known; others are worded
  after them and name the limit or the reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from playground.gateway.errors import AwsError
from playground.gateway.registry import Provider, register
from playground.gateway.request import RequestContext
from playground.gateway.validation import Problem
from services.sns import (
    deliverers,  # noqa: F401  (registers the built-in deliverers)
    platforms,
    publishing,
    sms,
    subscriptions,
    tasks,  # noqa: F401  (registers the tick's work and the delivery task)
    topics,
)
from services.sns.exceptions import InvalidParameterException

if TYPE_CHECKING:
    from services.kms.public import Caller


def _caller(ctx: RequestContext) -> Caller:
    """Who a KMS call made for this request acts for (CloudTrail names the publisher)."""
    from services.kms.public import sse

    return sse.Caller(ctx.principal_arn, ctx.access_key.access_key_id if ctx.access_key else "")


def _parameter_name(path: str) -> str:
    parts = [part for part in path.split(".") if part not in ("member", "entry")]
    return ".".join(part[:1].upper() + part[1:] for part in parts)


@register
class SnsProvider(Provider):
    service = "sns"

    def validation_error(self, protocol: str, problems: list[Problem]) -> AwsError | None:
        """SNS words model violations as InvalidParameter: "Invalid parameter: Name" (and the reason)."""
        problem = problems[0]
        name = _parameter_name(problem.path)
        if problem.message.endswith("Member must not be null"):
            return InvalidParameterException(f"Invalid parameter: {name}")
        reason = problem.message.split("failed to satisfy constraint: ", 1)[-1]
        return InvalidParameterException(f"Invalid parameter: {name} Reason: {reason}")

    # --- helpers ---------------------------------------------------------------------------------

    def _topic(self, ctx: RequestContext, arn: str, *, lock: bool = False) -> Any:
        return topics.topic_by_arn(sandbox=ctx.sandbox, arn=arn, lock=lock)

    def _base_url(self, ctx: RequestContext) -> str:
        return ctx.request.base_url

    # --- topics ----------------------------------------------------------------------------------

    def create_topic(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        topic = topics.topic_create(
            sandbox=ctx.sandbox,
            region=ctx.region,
            name=params["Name"],
            attributes=params.get("Attributes"),
            tags=topics.tags_from_list(params.get("Tags")),
            data_protection_policy=params.get("DataProtectionPolicy"),
            now=ctx.now,
        )
        return {"TopicArn": topic.arn}

    def delete_topic(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        topics.topic_delete(sandbox=ctx.sandbox, arn=params["TopicArn"], now=ctx.now, principal_arn=ctx.principal_arn)
        return {}

    def list_topics(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found, token = topics.topic_list(sandbox=ctx.sandbox, region=ctx.region, next_token=params.get("NextToken"))
        output: dict[str, Any] = {"Topics": [{"TopicArn": topic.arn} for topic in found]}
        if token:
            output["NextToken"] = token
        return output

    def get_topic_attributes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"Attributes": topics.topic_attributes(self._topic(ctx, params["TopicArn"]))}

    def set_topic_attributes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        topics.topic_set_attribute(
            topic=self._topic(ctx, params["TopicArn"], lock=True),
            name=params["AttributeName"],
            value=params.get("AttributeValue") or "",
            now=ctx.now,
        )
        return {}

    def add_permission(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        topics.permission_add(
            topic=self._topic(ctx, params["TopicArn"], lock=True),
            label=params["Label"],
            account_ids=params["AWSAccountId"],
            actions=params["ActionName"],
            now=ctx.now,
        )
        return {}

    def remove_permission(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        topics.permission_remove(
            topic=self._topic(ctx, params["TopicArn"], lock=True), label=params["Label"], now=ctx.now
        )
        return {}

    def get_data_protection_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        topic = self._topic(ctx, params["ResourceArn"])
        return {"DataProtectionPolicy": topic.data_protection_policy} if topic.data_protection_policy else {}

    def put_data_protection_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        topics.data_protection_put(
            topic=self._topic(ctx, params["ResourceArn"], lock=True), policy=params["DataProtectionPolicy"], now=ctx.now
        )
        return {}

    # --- tags ------------------------------------------------------------------------------------

    def tag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        topics.resource_tag(
            sandbox=ctx.sandbox, arn=params["ResourceArn"], tags=topics.tags_from_list(params["Tags"]), now=ctx.now
        )
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        topics.resource_untag(sandbox=ctx.sandbox, arn=params["ResourceArn"], keys=params["TagKeys"], now=ctx.now)
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        tags = topics.resource_tags(sandbox=ctx.sandbox, arn=params["ResourceArn"])
        return {"Tags": [{"Key": key, "Value": value} for key, value in tags.items()]}

    # --- subscriptions ---------------------------------------------------------------------------

    def subscribe(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        topic = self._topic(ctx, params["TopicArn"], lock=True)
        subscription = subscriptions.subscribe(
            topic=topic,
            protocol=params["Protocol"],
            endpoint=params.get("Endpoint") or "",
            attributes=params.get("Attributes"),
            principal_arn=ctx.principal_arn,
            base_url=self._base_url(ctx),
            now=ctx.now,
        )
        if subscription.confirmed or params.get("ReturnSubscriptionArn"):
            return {"SubscriptionArn": subscription.arn}
        return {"SubscriptionArn": "pending confirmation"}

    def confirm_subscription(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        subscription = subscriptions.confirm(
            topic=self._topic(ctx, params["TopicArn"]),
            token=params["Token"],
            authenticate_on_unsubscribe=str(params.get("AuthenticateOnUnsubscribe", "")).lower() == "true",
            authenticated=True,
            now=ctx.now,
        )
        return {"SubscriptionArn": subscription.arn}

    def unsubscribe(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        subscriptions.unsubscribe(
            sandbox=ctx.sandbox,
            arn=params["SubscriptionArn"],
            authenticated=True,
            base_url=self._base_url(ctx),
            now=ctx.now,
        )
        return {}

    def get_subscription_attributes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        subscription = subscriptions.subscription_by_arn(sandbox=ctx.sandbox, arn=params["SubscriptionArn"])
        return {"Attributes": subscriptions.subscription_attributes(subscription)}

    def set_subscription_attributes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        subscription = subscriptions.subscription_by_arn(sandbox=ctx.sandbox, arn=params["SubscriptionArn"], lock=True)
        subscriptions.set_attribute(
            subscription=subscription,
            name=params["AttributeName"],
            value=params.get("AttributeValue") or "",
            now=ctx.now,
        )
        return {}

    def list_subscriptions(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found, token = subscriptions.subscription_list(
            sandbox=ctx.sandbox, region=ctx.region, topic=None, next_token=params.get("NextToken")
        )
        output: dict[str, Any] = {"Subscriptions": [subscriptions.listed(item) for item in found]}
        if token:
            output["NextToken"] = token
        return output

    def list_subscriptions_by_topic(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found, token = subscriptions.subscription_list(
            sandbox=ctx.sandbox,
            region=ctx.region,
            topic=self._topic(ctx, params["TopicArn"]),
            next_token=params.get("NextToken"),
        )
        output: dict[str, Any] = {"Subscriptions": [subscriptions.listed(item) for item in found]}
        if token:
            output["NextToken"] = token
        return output

    # --- publishing ------------------------------------------------------------------------------

    def publish(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        published = publishing.publish(
            sandbox=ctx.sandbox,
            topic_arn=params.get("TopicArn"),
            target_arn=params.get("TargetArn"),
            phone_number=params.get("PhoneNumber"),
            message=params["Message"],
            subject=params.get("Subject"),
            structure=params.get("MessageStructure"),
            attributes=params.get("MessageAttributes"),
            group_id=params.get("MessageGroupId"),
            deduplication_id=params.get("MessageDeduplicationId"),
            base_url=self._base_url(ctx),
            now=ctx.now,
            caller=_caller(ctx),
        )
        return published.as_output()

    def publish_batch(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        topic = self._topic(ctx, params["TopicArn"])
        if topic.fifo:
            topic = self._topic(ctx, params["TopicArn"], lock=True)
        successful, failed = publishing.publish_batch(
            topic=topic,
            entries=params.get("PublishBatchRequestEntries") or [],
            base_url=self._base_url(ctx),
            now=ctx.now,
            caller=_caller(ctx),
        )
        return {"Successful": successful, "Failed": failed}

    # --- platform applications and endpoints -----------------------------------------------------

    def create_platform_application(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        application = platforms.application_create(
            sandbox=ctx.sandbox,
            region=ctx.region,
            name=params["Name"],
            platform=params["Platform"],
            attributes=params.get("Attributes") or {},
            now=ctx.now,
        )
        return {"PlatformApplicationArn": application.arn}

    def get_platform_application_attributes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        application = platforms.application_by_arn(sandbox=ctx.sandbox, arn=params["PlatformApplicationArn"])
        return {"Attributes": platforms.application_attributes(application)}

    def set_platform_application_attributes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        application = platforms.application_by_arn(sandbox=ctx.sandbox, arn=params["PlatformApplicationArn"])
        platforms.application_set_attributes(application=application, attributes=params["Attributes"], now=ctx.now)
        return {}

    def delete_platform_application(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        platforms.application_delete(sandbox=ctx.sandbox, arn=params["PlatformApplicationArn"], now=ctx.now)
        return {}

    def list_platform_applications(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found, token = platforms.applications(
            sandbox=ctx.sandbox, region=ctx.region, next_token=params.get("NextToken")
        )
        output: dict[str, Any] = {
            "PlatformApplications": [
                {"PlatformApplicationArn": item.arn, "Attributes": platforms.application_attributes(item)}
                for item in found
            ]
        }
        if token:
            output["NextToken"] = token
        return output

    def create_platform_endpoint(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        application = platforms.application_by_arn(sandbox=ctx.sandbox, arn=params["PlatformApplicationArn"])
        endpoint = platforms.endpoint_create(
            application=application,
            token=params["Token"],
            custom_user_data=params.get("CustomUserData"),
            attributes=params.get("Attributes"),
            now=ctx.now,
        )
        return {"EndpointArn": endpoint.arn}

    def get_endpoint_attributes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        endpoint = platforms.endpoint_by_arn(sandbox=ctx.sandbox, arn=params["EndpointArn"])
        return {"Attributes": platforms.endpoint_attributes(endpoint)}

    def set_endpoint_attributes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        endpoint = platforms.endpoint_by_arn(sandbox=ctx.sandbox, arn=params["EndpointArn"])
        platforms.endpoint_set_attributes(endpoint=endpoint, attributes=params["Attributes"])
        return {}

    def delete_endpoint(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        platforms.endpoint_delete(sandbox=ctx.sandbox, arn=params["EndpointArn"])
        return {}

    def list_endpoints_by_platform_application(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        application = platforms.application_by_arn(sandbox=ctx.sandbox, arn=params["PlatformApplicationArn"])
        found, token = platforms.endpoints(application=application, next_token=params.get("NextToken"))
        output: dict[str, Any] = {
            "Endpoints": [
                {"EndpointArn": item.arn, "Attributes": platforms.endpoint_attributes(item)} for item in found
            ]
        }
        if token:
            output["NextToken"] = token
        return output

    # --- SMS -------------------------------------------------------------------------------------

    def get_sms_attributes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"attributes": sms.sms_attributes_get(sandbox=ctx.sandbox, names=params.get("attributes"))}

    def set_sms_attributes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        sms.sms_attributes_set(sandbox=ctx.sandbox, attributes=params["attributes"])
        return {}

    def check_if_phone_number_is_opted_out(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"isOptedOut": sms.is_opted_out(sandbox=ctx.sandbox, phone_number=params["phoneNumber"])}

    def list_phone_numbers_opted_out(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        numbers, token = sms.opted_out_numbers(sandbox=ctx.sandbox, next_token=params.get("nextToken"))
        output: dict[str, Any] = {"phoneNumbers": numbers}
        if token:
            output["nextToken"] = token
        return output

    def opt_in_phone_number(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        sms.phone_opt_in(sandbox=ctx.sandbox, phone_number=params["phoneNumber"], now=ctx.now)
        return {}

    def get_sms_sandbox_account_status(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"IsInSandbox": True}

    def create_sms_sandbox_phone_number(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        sms.sandbox_number_create(
            sandbox=ctx.sandbox, phone_number=params["PhoneNumber"], language=params.get("LanguageCode"), now=ctx.now
        )
        return {}

    def verify_sms_sandbox_phone_number(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        sms.sandbox_number_verify(
            sandbox=ctx.sandbox, phone_number=params["PhoneNumber"], password=params["OneTimePassword"], now=ctx.now
        )
        return {}

    def delete_sms_sandbox_phone_number(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        sms.sandbox_number_delete(sandbox=ctx.sandbox, phone_number=params["PhoneNumber"])
        return {}

    def list_sms_sandbox_phone_numbers(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found, token = sms.sandbox_numbers(
            sandbox=ctx.sandbox, next_token=params.get("NextToken"), max_results=params.get("MaxResults")
        )
        output: dict[str, Any] = {
            "PhoneNumbers": [{"PhoneNumber": row.phone_number, "Status": row.status} for row in found]
        }
        if token:
            output["NextToken"] = token
        return output

    def list_origination_numbers(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        max_results = params.get("MaxResults")
        if max_results is not None and not 1 <= max_results <= 30:
            raise InvalidParameterException("Invalid parameter: MaxResults")
        return {"PhoneNumbers": []}
