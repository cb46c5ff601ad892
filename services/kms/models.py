"""KMS state: keys, their key material (one row per version), aliases and grants.

Key material is never stored in plaintext: `KeyMaterial.sealed` holds it encrypted under a key
derived from settings.MASTER_KEY, which lives outside the database (see material.py).
"""

from __future__ import annotations

from typing import Any

from django.db import models

from playground.sandboxes.models import Sandbox

ENABLED = "Enabled"
DISABLED = "Disabled"
PENDING_DELETION = "PendingDeletion"
PENDING_IMPORT = "PendingImport"

CUSTOMER = "CUSTOMER"
AWS = "AWS"


class Key(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="kms_keys")
    region = models.CharField(max_length=32)
    key_id = models.CharField(max_length=64)
    description = models.TextField(blank=True, default="")
    key_usage = models.CharField(max_length=32)
    key_spec = models.CharField(max_length=32)
    origin = models.CharField(max_length=32, default="AWS_KMS")
    key_manager = models.CharField(max_length=16, default=CUSTOMER)
    multi_region = models.BooleanField(default=False)
    state = models.CharField(max_length=32, default=ENABLED)
    created_at = models.DateTimeField()
    # While PendingDeletion: when the key is really deleted (sandbox clock), found by the tick.
    deletion_at = models.DateTimeField(null=True, blank=True)
    pending_window_days = models.PositiveIntegerField(null=True, blank=True)
    policy = models.TextField()
    rotation_enabled = models.BooleanField(default=False)
    rotation_period_days = models.PositiveIntegerField(null=True, blank=True)
    # When automatic rotation is next due (sandbox clock), found by the tick.
    next_rotation_at = models.DateTimeField(null=True, blank=True)
    on_demand_rotations = models.PositiveIntegerField(default=0)
    tags = models.JSONField(default=list)  # [{"TagKey": ..., "TagValue": ...}] in the order given
    # Origin EXTERNAL: the imported material's id (re-imports must bring the same material), its
    # expiration model, and when it expires (sandbox clock), found by the tick.
    imported_material_id = models.CharField(max_length=64, blank=True, default="")
    expiration_model = models.CharField(max_length=32, blank=True, default="")
    valid_to = models.DateTimeField(null=True, blank=True)
    current_material = models.ForeignKey(
        "KeyMaterial", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["sandbox", "region", "key_id"], name="kms_key_unique_id")]
        indexes = [
            models.Index(fields=["sandbox", "deletion_at"], name="kms_key_deletion_due"),
            models.Index(fields=["sandbox", "next_rotation_at"], name="kms_key_rotation_due"),
            models.Index(fields=["sandbox", "valid_to"], name="kms_key_material_expiry_due"),
        ]

    def __str__(self) -> str:
        return self.arn

    @property
    def arn(self) -> str:
        return f"arn:aws:kms:{self.region}:{self.sandbox.account_id}:key/{self.key_id}"

    @property
    def account_id(self) -> str:
        return self.sandbox.account_id


class KeyMaterial(models.Model):
    """One version of a key's material. Rotation adds a row; old rows stay so that ciphertexts
    made before a rotation still decrypt (the ciphertext names its material_id)."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    key = models.ForeignKey(Key, on_delete=models.CASCADE, related_name="materials")
    material_id = models.CharField(max_length=64)  # 64 hex digits: AWS's KeyMaterialId
    sealed = models.BinaryField()  # the secret material, encrypted under the master key
    public_key = models.BinaryField(default=b"")  # DER SubjectPublicKeyInfo for asymmetric keys
    created_at = models.DateTimeField()
    rotation_type = models.CharField(max_length=16, blank=True, default="")  # "", AUTOMATIC, ON_DEMAND

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["key", "material_id"], name="kms_material_unique_id")]

    def __str__(self) -> str:
        return self.material_id


class ImportParameters(models.Model):
    """What GetParametersForImport handed out: an import token and the RSA wrapping key pair whose
    public half wraps the material to import (its private half sealed like key material)."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    key = models.ForeignKey(Key, on_delete=models.CASCADE, related_name="import_parameters")
    token_digest = models.CharField(max_length=64, unique=True)  # SHA-256 of the token: the token is not stored
    wrapping_algorithm = models.CharField(max_length=32)
    sealed_private_key = models.BinaryField()
    valid_to = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.token_digest[:12]


class Alias(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="kms_aliases")
    region = models.CharField(max_length=32)
    name = models.CharField(max_length=256)  # "alias/..."
    key = models.ForeignKey(Key, on_delete=models.CASCADE, related_name="aliases")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["sandbox", "region", "name"], name="kms_alias_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def arn(self) -> str:
        return f"arn:aws:kms:{self.region}:{self.sandbox.account_id}:{self.name}"


class Grant(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="kms_grants")
    key = models.ForeignKey(Key, on_delete=models.CASCADE, related_name="grants")
    grant_id = models.CharField(max_length=64)
    token = models.CharField(max_length=256, unique=True)
    name = models.CharField(max_length=256, blank=True, default="")
    grantee_principal = models.CharField(max_length=256, blank=True, default="")
    retiring_principal = models.CharField(max_length=256, blank=True, default="")
    operations = models.JSONField(default=list)
    constraints = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["key", "grant_id"], name="kms_grant_unique_id")]

    def __str__(self) -> str:
        return self.grant_id

    def as_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "KeyId": self.key.arn,
            "GrantId": self.grant_id,
            "CreationDate": self.created_at,
            "GranteePrincipal": self.grantee_principal,
            "IssuingAccount": f"arn:aws:iam::{self.sandbox.account_id}:root",
            "Operations": list(self.operations),
        }
        if self.name:
            entry["Name"] = self.name
        if self.retiring_principal:
            entry["RetiringPrincipal"] = self.retiring_principal
        if self.constraints:
            entry["Constraints"] = self.constraints
        return entry
