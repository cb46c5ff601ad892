"""STS state: what a temporary session carries besides its access key, and the keys that sign the
web identity tokens STS issues.

The access key itself (id, secret, session token, principal, expiry) is the platform's AccessKey;
a Session row adds what STS operations called with that key need to know, and goes with the key.
"""

from __future__ import annotations

from django.db import models

from playground.sandboxes.models import AccessKey, Sandbox


class Session(models.Model):
    """A temporary session (an ASIA key) as STS issued it."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="sts_sessions")
    access_key = models.OneToOneField(AccessKey, on_delete=models.CASCADE, related_name="sts_session")
    # How it was made: AssumeRole, AssumeRoleWithWebIdentity, GetFederationToken, ...
    issued_by = models.CharField(max_length=64)
    source_identity = models.CharField(max_length=256, blank=True, default="")
    # The human or workload the session acts for, when an identity provider said (the web
    # identity token's sub, the SAML NameID): GetWebIdentityToken's OriginIdentity subject.
    origin_subject = models.CharField(max_length=512, blank=True, default="")
    # Scope-down policies GetScopedCredentials layered on (at most 3).
    scoped_policies = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.issued_by} {self.access_key_id}"


class SigningKey(models.Model):
    """The private key that signs a sandbox's web identity tokens (GetWebIdentityToken), by
    algorithm; stored encrypted under PLAYGROUND_MASTER_KEY, its public half published as a JWKS."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="sts_signing_keys")
    algorithm = models.CharField(max_length=8)  # RS256 | ES384
    key_id = models.CharField(max_length=64)
    encrypted_private_key = models.TextField()
    created_at = models.DateTimeField()  # sandbox-clock time

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sandbox", "algorithm"], name="sts_one_key_per_algorithm")]

    def __str__(self) -> str:
        return f"{self.algorithm} {self.key_id}"
