"""CloudTrail's state: trails, the LookupEvents rate counter and the events services record of
what they did for the account (ServiceEvent). The events of the account's own calls are the
gateway's call records (playground.gateway.models.ApiCall), read, never copied."""

from __future__ import annotations

from django.db import models

from playground.sandboxes.models import Sandbox


class Trail(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="cloudtrail_trails")
    region = models.CharField(max_length=32)  # the home region
    name = models.CharField(max_length=128)
    s3_bucket = models.CharField(max_length=63)
    s3_key_prefix = models.CharField(max_length=200, blank=True, default="")
    sns_topic_arn = models.CharField(max_length=256, blank=True, default="")
    include_global_events = models.BooleanField(default=True)
    multi_region = models.BooleanField(default=False)
    organization = models.BooleanField(default=False)
    log_file_validation = models.BooleanField(default=False)
    log_group_arn = models.CharField(max_length=512, blank=True, default="")
    logs_role_arn = models.CharField(max_length=512, blank=True, default="")
    kms_key_id = models.CharField(max_length=512, blank=True, default="")
    # Basic selectors (a list, AWS's default when neither is set) or advanced ones.
    event_selectors = models.JSONField(null=True, blank=True, default=None)
    advanced_event_selectors = models.JSONField(null=True, blank=True, default=None)
    tags = models.JSONField(default=list)
    created_at = models.DateTimeField()

    logging = models.BooleanField(default=False)
    start_logging_time = models.DateTimeField(null=True, blank=True)
    stop_logging_time = models.DateTimeField(null=True, blank=True)
    # Delivery: the id of the last call record delivered, and when the next batch is due.
    delivered_through = models.BigIntegerField(default=0)
    services_delivered_through = models.BigIntegerField(default=0)  # the same, of ServiceEvent rows
    next_delivery_at = models.DateTimeField(null=True, blank=True, db_index=True)
    latest_delivery_time = models.DateTimeField(null=True, blank=True)
    latest_delivery_attempt_time = models.DateTimeField(null=True, blank=True)
    latest_delivery_error = models.CharField(max_length=256, blank=True, default="")
    latest_notification_time = models.DateTimeField(null=True, blank=True)
    latest_notification_attempt_time = models.DateTimeField(null=True, blank=True)
    latest_notification_error = models.CharField(max_length=256, blank=True, default="")
    latest_digest_time = models.DateTimeField(null=True, blank=True)
    latest_digest_error = models.CharField(max_length=256, blank=True, default="")
    # CloudWatch Logs delivery (CloudWatchLogsLogGroupArn).
    latest_logs_time = models.DateTimeField(null=True, blank=True)
    latest_logs_error = models.CharField(max_length=256, blank=True, default="")
    # Log file validation: when the next hourly digest is due, where the current digest period
    # began, the log files delivered since (what the next digest lists), and per region the last
    # digest written ({bucket, key, hash, signature}: what the next one chains to).
    next_digest_at = models.DateTimeField(null=True, blank=True, db_index=True)
    digest_started_at = models.DateTimeField(null=True, blank=True)
    digest_files = models.JSONField(default=list)
    digest_chain = models.JSONField(default=dict)
    # The last files delivered (key, records, time), newest first: what the inspector lists.
    recent_files = models.JSONField(default=list)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sandbox", "region", "name"], name="cloudtrail_trail_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def arn(self) -> str:
        return f"arn:aws:cloudtrail:{self.region}:{self.sandbox.account_id}:trail/{self.name}"


class SigningKey(models.Model):
    """A region's key pair for digest files (SHA256withRSA): the private key signs, ListPublicKeys
    answers the public one. Each sandbox has its own, made when its first digest is signed."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="cloudtrail_signing_keys")
    region = models.CharField(max_length=32)
    private_pem = models.TextField()
    public_der = models.BinaryField()  # PKCS #1 RSAPublicKey, DER
    fingerprint = models.CharField(max_length=64)
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["sandbox", "region", "valid_from"])]

    def __str__(self) -> str:
        return f"{self.region}:{self.fingerprint}"


class LookupRate(models.Model):
    """LookupEvents calls in the current second of the sandbox clock (strict mode's 2 a second)."""

    sandbox = models.OneToOneField(Sandbox, on_delete=models.CASCADE, related_name="cloudtrail_lookup_rate")
    second = models.BigIntegerField(default=0)
    count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.sandbox_id}@{self.second}: {self.count}"


class ServiceEvent(models.Model):
    """What a service did that never passed the gateway, as CloudTrail records it (public.py's
    service_call and service_event): an API call one AWS service made of another for the account
    (KMS GenerateDataKey made by SQS for a queue with KmsMasterKeyId, userIdentity invokedBy
    sqs.amazonaws.com) or a service's own event (AwsServiceEvent: KMS rotating a key). Kept apart
    from the gateway's call log, so that the student's own calls (labs, the activity panel) do not
    count them; LookupEvents, trail delivery and EventBridge read both."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="cloudtrail_service_events")
    region = models.CharField(max_length=32)
    at = models.DateTimeField()
    service = models.CharField(max_length=64)  # the API whose event it is: "kms" (eventSource kms.amazonaws.com)
    operation = models.CharField(max_length=128)  # eventName
    event_type = models.CharField(max_length=32)  # AwsApiCall or AwsServiceEvent
    invoked_by = models.CharField(max_length=128)  # "sqs.amazonaws.com", "AWS Internal"
    # The principal the service acted for (its call carried that principal's identity): empty for
    # a service acting as itself (userIdentity type AWSService).
    principal_arn = models.CharField(max_length=256, blank=True, default="")
    access_key_id = models.CharField(max_length=128, blank=True, default="")
    read_only = models.BooleanField(default=False)
    params = models.JSONField(null=True, blank=True, default=None)  # requestParameters, AWS's member names
    response = models.JSONField(null=True, blank=True, default=None)  # responseElements, the same
    resources = models.JSONField(default=list)  # [{"type", "ARN"}]
    additional = models.JSONField(null=True, blank=True, default=None)  # additionalEventData
    details = models.JSONField(null=True, blank=True, default=None)  # serviceEventDetails
    request_id = models.CharField(max_length=64, blank=True, default="")

    # The event history outlives a sandbox reset, as the call log does (AWS keeps an account's).
    survives_reset = True

    class Meta:
        indexes = [models.Index(fields=["sandbox", "region", "at"], name="cloudtrail_svcevent_at")]

    def __str__(self) -> str:
        return f"{self.service}:{self.operation}@{self.at}"
