"""SNS state: topics, subscriptions, the deliveries still being attempted, the simulated outboxes
(email, email-json, SMS, mobile push), platform applications and endpoints, the SMS sandbox's
phone numbers and opt-out list, FIFO deduplication records, and the server's signing key.

Times are sandbox-clock times. A Delivery row exists only while a delivery to an HTTP(S) endpoint
(or any protocol whose deliverer is queued) is still to be attempted: `due_at` is when the next
attempt is due, indexed so the tick finds due rows without scanning. The row is deleted once the
endpoint took the message, or when the delivery policy gave up (after dead-lettering it).
"""

from __future__ import annotations

from django.db import models

from playground.sandboxes.models import Sandbox


class Topic(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="sns_topics")
    region = models.CharField(max_length=32)
    name = models.CharField(max_length=256)
    arn = models.CharField(max_length=512, db_index=True)
    fifo = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    # The settable attributes AWS returns as they were set (DisplayName, Policy, DeliveryPolicy,
    # KmsMasterKeyId, SignatureVersion, TracingConfig, ContentBasedDeduplication, ArchivePolicy,
    # FifoThroughputScope, MaximumMessageSize, the delivery-status feedback attributes...).
    attributes = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=dict, blank=True)
    data_protection_policy = models.TextField(blank=True, default="")
    last_sequence = models.BigIntegerField(default=0)  # FIFO sequence numbers handed out so far
    subscriptions_deleted = models.IntegerField(default=0)
    # The data key the topic's messages are sealed with (KmsMasterKeyId), and when it was made.
    data_key_ciphertext = models.BinaryField(null=True, blank=True)
    data_key_made_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["sandbox", "region", "name"], name="sns_topic_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def content_based_deduplication(self) -> bool:
        return str(self.attributes.get("ContentBasedDeduplication", "false")).lower() == "true"

    @property
    def signature_version(self) -> str:
        return str(self.attributes.get("SignatureVersion") or "1")


class Subscription(models.Model):
    PENDING = "pending"
    CONFIRMED = "confirmed"

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="sns_subscriptions")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="subscriptions")
    arn = models.CharField(max_length=600, unique=True)
    protocol = models.CharField(max_length=16)
    endpoint = models.CharField(max_length=2048)
    owner = models.CharField(max_length=12)
    status = models.CharField(max_length=16, default=CONFIRMED)
    token = models.CharField(max_length=512, blank=True, default="", db_index=True)
    token_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    confirmation_was_authenticated = models.BooleanField(default=False)
    authenticate_on_unsubscribe = models.BooleanField(default=False)
    # Settable attributes as they were set: RawMessageDelivery, FilterPolicy, FilterPolicyScope,
    # DeliveryPolicy, RedrivePolicy, SubscriptionRoleArn, ReplayPolicy.
    attributes = models.JSONField(default=dict, blank=True)
    # The compiled filter policy's source, kept apart so that publishing reads one column.
    filter_policy = models.TextField(blank=True, default="")
    filter_scope = models.CharField(max_length=20, blank=True, default="")
    raw = models.BooleanField(default=False)
    dead_letter_arn = models.CharField(max_length=512, blank=True, default="")
    created_at = models.DateTimeField()
    # The server address the subscriber was given (SubscribeURL, UnsubscribeURL), for messages sent
    # without a request to take it from (a tick, another service publishing).
    base_url = models.CharField(max_length=512, blank=True, default="")

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["topic", "status"], name="sns_sub_topic_status"),
            models.Index(fields=["sandbox", "protocol", "endpoint"], name="sns_sub_endpoint"),
        ]

    def __str__(self) -> str:
        return self.arn

    @property
    def confirmed(self) -> bool:
        return self.status == self.CONFIRMED


class Delivery(models.Model):
    """A message on its way to one subscriber, attempted by a worker with retries."""

    NOTIFICATION = "Notification"
    SUBSCRIPTION_CONFIRMATION = "SubscriptionConfirmation"
    UNSUBSCRIBE_CONFIRMATION = "UnsubscribeConfirmation"

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    subscription = models.ForeignKey(Subscription, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    subscription_arn = models.CharField(max_length=600)
    topic_arn = models.CharField(max_length=512)
    protocol = models.CharField(max_length=16)
    endpoint = models.CharField(max_length=2048)
    kind = models.CharField(max_length=32, default=NOTIFICATION)
    message_id = models.CharField(max_length=36)
    body = models.TextField()  # exactly what is sent (an envelope, or the raw message); empty when sealed
    # A topic with KmsMasterKeyId: the body sealed with the topic's data key, and that key's ciphertext.
    sealed_body = models.BinaryField(null=True, blank=True)
    data_key = models.BinaryField(null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    # Message attributes, group id... a deliverer may need (for dead-lettering, raw delivery).
    context = models.JSONField(default=dict, blank=True)
    retry_policy = models.JSONField(default=dict, blank=True)  # the effective healthyRetryPolicy
    attempts = models.IntegerField(default=0)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField()
    last_error = models.CharField(max_length=1024, blank=True, default="")
    size = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["sandbox", "due_at"], name="sns_delivery_due")]

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id} -> {self.endpoint}"


class OutboxMessage(models.Model):
    """What an email, email-json, SMS or mobile-push endpoint would have received."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    protocol = models.CharField(max_length=16)  # email, email-json, sms, application
    destination = models.CharField(max_length=2048, db_index=True)  # address, number or endpoint ARN
    kind = models.CharField(max_length=32, default="Notification")
    message_id = models.CharField(max_length=36)
    topic_arn = models.CharField(max_length=512, blank=True, default="")
    subscription_arn = models.CharField(max_length=600, blank=True, default="")
    subject = models.CharField(max_length=512, blank=True, default="")
    body = models.TextField()
    attributes = models.JSONField(default=dict, blank=True)  # SMS type, sender id, push platform...
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["sent_at", "id"]
        indexes = [models.Index(fields=["sandbox", "protocol", "sent_at"], name="sns_outbox_recent")]

    def __str__(self) -> str:
        return f"{self.protocol} to {self.destination}"


class PlatformApplication(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="sns_platform_applications")
    region = models.CharField(max_length=32)
    name = models.CharField(max_length=256)
    platform = models.CharField(max_length=32)
    arn = models.CharField(max_length=600, db_index=True)
    # Every attribute as set; PlatformCredential and PlatformPrincipal are never returned.
    attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["arn"]
        constraints = [
            models.UniqueConstraint(fields=["sandbox", "region", "platform", "name"], name="sns_app_unique_name")
        ]

    def __str__(self) -> str:
        return self.arn

    @property
    def enabled(self) -> bool:
        return str(self.attributes.get("Enabled", "true")).lower() == "true"


class PlatformEndpoint(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    application = models.ForeignKey(PlatformApplication, on_delete=models.CASCADE, related_name="endpoints")
    arn = models.CharField(max_length=700, unique=True)
    token = models.CharField(max_length=1024)
    attributes = models.JSONField(default=dict, blank=True)  # CustomUserData, Enabled, Token
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["arn"]
        indexes = [models.Index(fields=["application", "token"], name="sns_endpoint_token")]

    def __str__(self) -> str:
        return self.arn

    @property
    def enabled(self) -> bool:
        return str(self.attributes.get("Enabled", "true")).lower() == "true"


class SmsSettings(models.Model):
    """The account's SMS attributes (SetSMSAttributes)."""

    sandbox = models.OneToOneField(Sandbox, on_delete=models.CASCADE, related_name="sns_sms_settings")
    attributes = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"SMS settings of {self.sandbox_id}"


class SandboxPhoneNumber(models.Model):
    """A destination number added to the account's SMS sandbox, pending until verified."""

    PENDING = "Pending"
    VERIFIED = "Verified"

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    phone_number = models.CharField(max_length=32)
    status = models.CharField(max_length=16, default=PENDING)
    one_time_password = models.CharField(max_length=16)
    password_expires_at = models.DateTimeField()
    language_code = models.CharField(max_length=16, default="en-US")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["sandbox", "phone_number"], name="sns_sandbox_phone_unique")]

    def __str__(self) -> str:
        return self.phone_number


class OptedOutNumber(models.Model):
    """A phone number that replied STOP: SMS messages are not delivered to it."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    phone_number = models.CharField(max_length=32)
    opted_out_at = models.DateTimeField()

    class Meta:
        ordering = ["phone_number"]
        constraints = [models.UniqueConstraint(fields=["sandbox", "phone_number"], name="sns_opted_out_unique")]

    def __str__(self) -> str:
        return self.phone_number


class OptIn(models.Model):
    """When a number was last opted back in (AWS allows it once every 30 days)."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    phone_number = models.CharField(max_length=32)
    opted_in_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sandbox", "phone_number"], name="sns_opt_in_unique")]

    def __str__(self) -> str:
        return self.phone_number


class DeduplicationRecord(models.Model):
    """A FIFO publish within the 5-minute deduplication interval: a repeat is accepted, not delivered."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=300)
    message_id = models.CharField(max_length=36)
    sequence_number = models.CharField(max_length=20)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["topic", "key"], name="sns_dedup_unique")]
        indexes = [models.Index(fields=["sandbox", "expires_at"], name="sns_dedup_expiry")]

    def __str__(self) -> str:
        return self.key


class SigningKey(models.Model):
    """The server's RSA key and self-signed certificate that sign every message (one per server;
    the private key is stored encrypted with the server's master key). Survives sandbox resets:
    it belongs to no sandbox."""

    name = models.CharField(max_length=64, unique=True)
    private_key = models.TextField()  # Fernet-encrypted PEM
    certificate = models.TextField()  # PEM
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name
