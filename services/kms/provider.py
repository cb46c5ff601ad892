"""KMS: keys of every spec with real cryptography, aliases, grants, key policies, rotation on the
sandbox clock, deletion at the end of its window, and AWS managed keys made on first use.

One method per KMS operation, each a thin call of a domain function: keys.py (finding, creating,
describing, listing keys; AWS managed keys), management.py (enable, disable, deletion window,
tags, key policy), crypto.py (the ciphertext blob format, Encrypt, Decrypt, ReEncrypt, data keys),
signing.py (Sign, Verify, GetPublicKey, MACs, ECDH), aliases.py, grants.py, rotation.py. tasks.py
runs deletion and automatic rotation on the sandbox clock; sse.py is what SQS and SNS call to
encrypt at rest. Key material is stored sealed under the server's master key (material.py).

LIMITATIONS
- Key policies and grants are stored, returned, validated (well-formed policy, lockout safety
  check, grant operations that fit the key) but not enforced: any principal of the sandbox may use
  any of its keys. IAM is not emulated. AWS managed keys do refuse management (DisableKey,
  ScheduleKeyDeletion, PutKeyPolicy, aliases, tags, rotation settings) with AccessDeniedException,
  as their policy would. Grant tokens passed to operations are accepted and ignored.
- Key specs SM2, ECC_NIST_EDWARDS25519, ML_DSA_* and ML_KEM_* are refused with
  UnsupportedOperationException, and so Encapsulate/Decapsulate; origins AWS_CLOUDHSM and
  EXTERNAL_KEY_STORE, custom key stores, ReplicateKey, UpdatePrimaryRegion and GetKeyLastUsage are
  not emulated (the gateway answers 501 NotImplemented). A MultiRegion key gets an mrk- id and is
  its own primary, with no replicas.
- Imported key material (Origin EXTERNAL) goes into SYMMETRIC_DEFAULT keys only, one material per
  key (no NEW_KEY_MATERIAL rotation of imported keys); the deprecated RSAES_PKCS1_V1_5 and SM2PKE
  wrapping algorithms are refused.
- Ciphertext blobs have Playground's own layout (crypto.py), smaller than AWS's; they decrypt
  only in the sandbox and Region that made them. Ciphertexts of a deleted key raise
  InvalidCiphertextException.
- ListAliases lists the AWS managed aliases that exist, not every predefined alias/aws/ name.
  DescribeKey on a predefined alias/aws/<service> makes its key, as on AWS; other operations
  find AWS managed keys only once made.
- RotateKeyOnDemand rotates within the call (AWS takes a while), so OnDemandRotationStartDate is
  never returned. A key whose automatic rotation fell due while it was disabled rotates on the
  first tick after it is enabled again.
- The `Recipient` parameter (Nitro Enclaves attestation) and CustomKeyStoreId of GenerateRandom
  are ignored. AWS's request quotas per operation are not simulated; a classroom's per-sandbox
  quotas (playground/gateway/quotas.py) refuse calls over the request rate with
  ThrottlingException and keys or aliases past the quota with LimitExceededException.
- Some messages of errors whose AWS wording is not documented (usage and algorithm mismatches,
  reserved alias names, malformed policies) are Playground's own; codes and HTTP statuses are AWS's.
"""

from __future__ import annotations

from typing import Any

from playground.gateway.registry import Provider, own_transactions, register
from playground.gateway.request import RequestContext
from playground.gateway.validation import member_path, problem, validation_error
from services.kms import aliases, crypto, grants, imports, keys, management, rotation, signing

Params = dict[str, Any]
Output = dict[str, Any]


def _required(params: Params, name: str) -> Any:
    """A member KMS needs although the model marks it optional (Decrypt's CiphertextBlob: the model
    leaves room for a recipient-only call), refused as AWS refuses a missing required member."""
    if params.get(name) is None:
        raise validation_error("json", [problem(None, member_path(name), "Member must not be null")])
    return params[name]


def _drop_none(values: Output) -> Output:
    return {name: value for name, value in values.items() if value is not None}


# Calls that only read (a key, its material, aliases, grants) run outside any transaction; the one
# write they may make, the AWS managed key on first use, is atomic by itself (keys.aws_managed_key).
reads_only = own_transactions


@register
class KmsProvider(Provider):
    service = "kms"

    # --- keys ------------------------------------------------------------------------------------

    def create_key(self, ctx: RequestContext, params: Params) -> Output:
        key = keys.create_key(
            sandbox=ctx.sandbox,
            region=ctx.region,
            now=ctx.now,
            caller=ctx.principal_arn,
            description=params.get("Description", ""),
            key_usage=params.get("KeyUsage"),
            key_spec=params.get("KeySpec"),
            customer_master_key_spec=params.get("CustomerMasterKeySpec"),
            origin=params.get("Origin"),
            policy=params.get("Policy"),
            bypass_policy_lockout_safety_check=bool(params.get("BypassPolicyLockoutSafetyCheck")),
            tags=params.get("Tags"),
            multi_region=bool(params.get("MultiRegion")),
            custom_key_store_id=params.get("CustomKeyStoreId") or params.get("XksKeyId"),
        )
        return {"KeyMetadata": keys.key_metadata(key)}

    @reads_only
    def describe_key(self, ctx: RequestContext, params: Params) -> Output:
        key = keys.resolve_key(sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"], now=ctx.now)
        return {"KeyMetadata": keys.key_metadata(key)}

    @reads_only
    def list_keys(self, ctx: RequestContext, params: Params) -> Output:
        return keys.list_keys(
            sandbox=ctx.sandbox, region=ctx.region, limit=params.get("Limit"), marker=params.get("Marker")
        )

    def enable_key(self, ctx: RequestContext, params: Params) -> Output:
        management.enable_key(sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"], caller=ctx.principal_arn,
                        now=ctx.now)  # fmt: skip
        return {}

    def disable_key(self, ctx: RequestContext, params: Params) -> Output:
        management.disable_key(sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"], caller=ctx.principal_arn,
                         now=ctx.now)  # fmt: skip
        return {}

    def update_key_description(self, ctx: RequestContext, params: Params) -> Output:
        management.update_key_description(
            sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"], description=params["Description"],
            caller=ctx.principal_arn, now=ctx.now,
        )  # fmt: skip
        return {}

    def schedule_key_deletion(self, ctx: RequestContext, params: Params) -> Output:
        key = management.schedule_key_deletion(
            sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"],
            pending_window_in_days=params.get("PendingWindowInDays"), caller=ctx.principal_arn, now=ctx.now,
        )  # fmt: skip
        return {
            "KeyId": key.arn,
            "DeletionDate": key.deletion_at,
            "KeyState": key.state,
            "PendingWindowInDays": key.pending_window_days,
        }

    def cancel_key_deletion(self, ctx: RequestContext, params: Params) -> Output:
        key = management.cancel_key_deletion(
            sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"], caller=ctx.principal_arn, now=ctx.now
        )
        return {"KeyId": key.arn}

    # --- tags ------------------------------------------------------------------------------------

    def tag_resource(self, ctx: RequestContext, params: Params) -> Output:
        management.tag_resource(
            sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"], tags=params["Tags"],
            caller=ctx.principal_arn, now=ctx.now,
        )  # fmt: skip
        return {}

    def untag_resource(self, ctx: RequestContext, params: Params) -> Output:
        management.untag_resource(
            sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"], tag_keys=params["TagKeys"],
            caller=ctx.principal_arn, now=ctx.now,
        )  # fmt: skip
        return {}

    @reads_only
    def list_resource_tags(self, ctx: RequestContext, params: Params) -> Output:
        return management.list_resource_tags(
            sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"], limit=params.get("Limit"),
            marker=params.get("Marker"),
        )  # fmt: skip

    # --- policies --------------------------------------------------------------------------------

    @reads_only
    def get_key_policy(self, ctx: RequestContext, params: Params) -> Output:
        key, name = management.get_key_policy(
            sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"], policy_name=params.get("PolicyName")
        )
        return {"Policy": key.policy, "PolicyName": name}

    def put_key_policy(self, ctx: RequestContext, params: Params) -> Output:
        management.put_key_policy(
            sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"], policy_name=params.get("PolicyName"),
            policy=params["Policy"],
            bypass_policy_lockout_safety_check=bool(params.get("BypassPolicyLockoutSafetyCheck")),
            caller=ctx.principal_arn, now=ctx.now,
        )  # fmt: skip
        return {}

    @reads_only
    def list_key_policies(self, ctx: RequestContext, params: Params) -> Output:
        return management.list_key_policies(
            sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"], limit=params.get("Limit"),
            marker=params.get("Marker"),
        )  # fmt: skip

    # --- rotation --------------------------------------------------------------------------------

    def enable_key_rotation(self, ctx: RequestContext, params: Params) -> Output:
        rotation.enable_key_rotation(
            sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"],
            rotation_period_in_days=params.get("RotationPeriodInDays"), caller=ctx.principal_arn, now=ctx.now,
        )  # fmt: skip
        return {}

    def disable_key_rotation(self, ctx: RequestContext, params: Params) -> Output:
        rotation.disable_key_rotation(
            sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"], caller=ctx.principal_arn, now=ctx.now
        )
        return {}

    @reads_only
    def get_key_rotation_status(self, ctx: RequestContext, params: Params) -> Output:
        return rotation.get_key_rotation_status(sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"])

    def rotate_key_on_demand(self, ctx: RequestContext, params: Params) -> Output:
        key = rotation.rotate_key_on_demand(
            sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"], caller=ctx.principal_arn, now=ctx.now
        )
        return {"KeyId": key.key_id}

    @reads_only
    def list_key_rotations(self, ctx: RequestContext, params: Params) -> Output:
        return rotation.list_key_rotations(
            sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"],
            include_key_material=params.get("IncludeKeyMaterial"), limit=params.get("Limit"),
            marker=params.get("Marker"),
        )  # fmt: skip

    # --- imported key material -------------------------------------------------------------------

    def get_parameters_for_import(self, ctx: RequestContext, params: Params) -> Output:
        key, token, public_key, valid_to = imports.get_parameters_for_import(
            sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"],
            wrapping_algorithm=params["WrappingAlgorithm"], wrapping_key_spec=params["WrappingKeySpec"], now=ctx.now,
        )  # fmt: skip
        return {"KeyId": key.arn, "ImportToken": token, "PublicKey": public_key, "ParametersValidTo": valid_to}

    def import_key_material(self, ctx: RequestContext, params: Params) -> Output:
        key, material_id = imports.import_key_material(
            sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"], import_token=params["ImportToken"],
            encrypted_key_material=params["EncryptedKeyMaterial"], valid_to=params.get("ValidTo"),
            expiration_model=params.get("ExpirationModel"), import_type=params.get("ImportType"),
            caller=ctx.principal_arn, now=ctx.now,
        )  # fmt: skip
        return {"KeyId": key.arn, "KeyMaterialId": material_id}

    def delete_imported_key_material(self, ctx: RequestContext, params: Params) -> Output:
        key, material_id = imports.delete_imported_key_material(
            sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"], caller=ctx.principal_arn, now=ctx.now
        )
        return {"KeyId": key.arn, "KeyMaterialId": material_id}

    # --- aliases ---------------------------------------------------------------------------------

    def create_alias(self, ctx: RequestContext, params: Params) -> Output:
        aliases.create_alias(
            sandbox=ctx.sandbox, region=ctx.region, alias_name=params["AliasName"],
            target_key_id=params["TargetKeyId"], caller=ctx.principal_arn, now=ctx.now,
        )  # fmt: skip
        return {}

    def update_alias(self, ctx: RequestContext, params: Params) -> Output:
        aliases.update_alias(
            sandbox=ctx.sandbox, region=ctx.region, alias_name=params["AliasName"],
            target_key_id=params["TargetKeyId"], caller=ctx.principal_arn, now=ctx.now,
        )  # fmt: skip
        return {}

    def delete_alias(self, ctx: RequestContext, params: Params) -> Output:
        aliases.delete_alias(
            sandbox=ctx.sandbox, region=ctx.region, alias_name=params["AliasName"], caller=ctx.principal_arn,
            now=ctx.now,
        )  # fmt: skip
        return {}

    @reads_only
    def list_aliases(self, ctx: RequestContext, params: Params) -> Output:
        return aliases.list_aliases(
            sandbox=ctx.sandbox, region=ctx.region, key_id=params.get("KeyId"), limit=params.get("Limit"),
            marker=params.get("Marker"),
        )  # fmt: skip

    # --- grants ----------------------------------------------------------------------------------

    def create_grant(self, ctx: RequestContext, params: Params) -> Output:
        grant = grants.create_grant(
            sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"], operations=params["Operations"],
            grantee_principal=params.get("GranteePrincipal") or params.get("GranteeServicePrincipal"),
            retiring_principal=params.get("RetiringPrincipal") or params.get("RetiringServicePrincipal"),
            constraints=params.get("Constraints"), name=params.get("Name"), dry_run=params.get("DryRun"),
            now=ctx.now,
        )  # fmt: skip
        return {"GrantToken": grant.token, "GrantId": grant.grant_id}

    @reads_only
    def list_grants(self, ctx: RequestContext, params: Params) -> Output:
        return grants.list_grants(
            sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"], grant_id=params.get("GrantId"),
            grantee_principal=params.get("GranteePrincipal") or params.get("GranteeServicePrincipal"),
            limit=params.get("Limit"), marker=params.get("Marker"),
        )  # fmt: skip

    @reads_only
    def list_retirable_grants(self, ctx: RequestContext, params: Params) -> Output:
        return grants.list_retirable_grants(
            sandbox=ctx.sandbox, region=ctx.region,
            retiring_principal=params.get("RetiringPrincipal") or params.get("RetiringServicePrincipal"),
            limit=params.get("Limit"), marker=params.get("Marker"),
        )  # fmt: skip

    def retire_grant(self, ctx: RequestContext, params: Params) -> Output:
        grants.retire_grant(
            sandbox=ctx.sandbox, region=ctx.region, grant_token=params.get("GrantToken"),
            key_id=params.get("KeyId"), grant_id=params.get("GrantId"), dry_run=params.get("DryRun"), now=ctx.now,
        )  # fmt: skip
        return {}

    def revoke_grant(self, ctx: RequestContext, params: Params) -> Output:
        grants.revoke_grant(
            sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"], grant_id=params["GrantId"],
            dry_run=params.get("DryRun"), now=ctx.now,
        )  # fmt: skip
        return {}

    # --- cryptography ----------------------------------------------------------------------------

    @reads_only
    def encrypt(self, ctx: RequestContext, params: Params) -> Output:
        result = crypto.encrypt(
            sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"], plaintext=params["Plaintext"],
            encryption_context=params.get("EncryptionContext"),
            encryption_algorithm=params.get("EncryptionAlgorithm"), dry_run=params.get("DryRun"),
            caller=ctx.principal_arn, now=ctx.now,
        )  # fmt: skip
        return {"CiphertextBlob": result.ciphertext, "KeyId": result.key_arn, "EncryptionAlgorithm": result.algorithm}

    @reads_only
    def decrypt(self, ctx: RequestContext, params: Params) -> Output:
        result = crypto.decrypt(
            sandbox=ctx.sandbox, region=ctx.region, ciphertext=_required(params, "CiphertextBlob"),
            encryption_context=params.get("EncryptionContext"), key_id=params.get("KeyId"),
            encryption_algorithm=params.get("EncryptionAlgorithm"), dry_run=params.get("DryRun"),
            caller=ctx.principal_arn, now=ctx.now,
        )  # fmt: skip
        return {
            "KeyId": result.key_arn,
            "Plaintext": result.plaintext,
            "EncryptionAlgorithm": result.algorithm,
            "KeyMaterialId": result.key_material_id,
        }

    @reads_only
    def re_encrypt(self, ctx: RequestContext, params: Params) -> Output:
        result = crypto.re_encrypt(
            sandbox=ctx.sandbox, region=ctx.region, ciphertext=_required(params, "CiphertextBlob"),
            destination_key_id=params["DestinationKeyId"],
            source_encryption_context=params.get("SourceEncryptionContext"),
            source_key_id=params.get("SourceKeyId"),
            destination_encryption_context=params.get("DestinationEncryptionContext"),
            source_encryption_algorithm=params.get("SourceEncryptionAlgorithm"),
            destination_encryption_algorithm=params.get("DestinationEncryptionAlgorithm"),
            dry_run=params.get("DryRun"), caller=ctx.principal_arn, now=ctx.now,
        )  # fmt: skip
        return {
            "CiphertextBlob": result.ciphertext,
            "SourceKeyId": result.source_key_arn,
            "KeyId": result.key_arn,
            "SourceEncryptionAlgorithm": result.source_algorithm,
            "DestinationEncryptionAlgorithm": result.destination_algorithm,
            "SourceKeyMaterialId": result.source_key_material_id,
            "DestinationKeyMaterialId": result.destination_key_material_id,
        }

    def _data_key(self, ctx: RequestContext, params: Params, *, with_plaintext: bool) -> crypto.DataKey:
        return crypto.generate_data_key(
            sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"], key_spec=params.get("KeySpec"),
            number_of_bytes=params.get("NumberOfBytes"), encryption_context=params.get("EncryptionContext"),
            with_plaintext=with_plaintext, dry_run=params.get("DryRun"), caller=ctx.principal_arn, now=ctx.now,
        )  # fmt: skip

    @reads_only
    def generate_data_key(self, ctx: RequestContext, params: Params) -> Output:
        result = self._data_key(ctx, params, with_plaintext=True)
        return {
            "CiphertextBlob": result.ciphertext,
            "Plaintext": result.plaintext,
            "KeyId": result.key_arn,
            "KeyMaterialId": result.key_material_id,
        }

    @reads_only
    def generate_data_key_without_plaintext(self, ctx: RequestContext, params: Params) -> Output:
        result = self._data_key(ctx, params, with_plaintext=False)
        return {"CiphertextBlob": result.ciphertext, "KeyId": result.key_arn, "KeyMaterialId": result.key_material_id}

    def _data_key_pair(self, ctx: RequestContext, params: Params, *, with_plaintext: bool) -> Output:
        result = crypto.generate_data_key_pair(
            sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"], key_pair_spec=params["KeyPairSpec"],
            encryption_context=params.get("EncryptionContext"), with_plaintext=with_plaintext,
            dry_run=params.get("DryRun"), caller=ctx.principal_arn, now=ctx.now,
        )  # fmt: skip
        return _drop_none(
            {
                "PrivateKeyCiphertextBlob": result.private_key_ciphertext,
                "PrivateKeyPlaintext": result.private_key_plaintext,
                "PublicKey": result.public_key,
                "KeyId": result.key_arn,
                "KeyPairSpec": result.key_pair_spec,
                "KeyMaterialId": result.key_material_id,
            }
        )

    @reads_only
    def generate_data_key_pair(self, ctx: RequestContext, params: Params) -> Output:
        return self._data_key_pair(ctx, params, with_plaintext=True)

    @reads_only
    def generate_data_key_pair_without_plaintext(self, ctx: RequestContext, params: Params) -> Output:
        return self._data_key_pair(ctx, params, with_plaintext=False)

    @reads_only
    def generate_random(self, ctx: RequestContext, params: Params) -> Output:
        return {"Plaintext": crypto.generate_random(number_of_bytes=params.get("NumberOfBytes"))}

    @reads_only
    def sign(self, ctx: RequestContext, params: Params) -> Output:
        result = signing.sign(
            sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"], message=params["Message"],
            signing_algorithm=params["SigningAlgorithm"], message_type=params.get("MessageType"),
            dry_run=params.get("DryRun"), caller=ctx.principal_arn, now=ctx.now,
        )  # fmt: skip
        return {"KeyId": result.key_arn, "Signature": result.signature, "SigningAlgorithm": result.algorithm}

    @reads_only
    def verify(self, ctx: RequestContext, params: Params) -> Output:
        result = signing.verify(
            sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"], message=params["Message"],
            signature=params["Signature"], signing_algorithm=params["SigningAlgorithm"],
            message_type=params.get("MessageType"), dry_run=params.get("DryRun"), caller=ctx.principal_arn,
            now=ctx.now,
        )  # fmt: skip
        return {"KeyId": result.key_arn, "SignatureValid": True, "SigningAlgorithm": result.algorithm}

    @reads_only
    def get_public_key(self, ctx: RequestContext, params: Params) -> Output:
        found = signing.get_public_key(
            sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"], caller=ctx.principal_arn, now=ctx.now
        )
        metadata = keys.key_metadata(found.key)
        output = {
            "KeyId": found.key.arn,
            "PublicKey": found.public_key,
            "CustomerMasterKeySpec": metadata["KeySpec"],
            "KeySpec": metadata["KeySpec"],
            "KeyUsage": metadata["KeyUsage"],
        }
        for member in ("EncryptionAlgorithms", "SigningAlgorithms", "KeyAgreementAlgorithms"):
            if member in metadata:
                output[member] = metadata[member]
        return output

    @reads_only
    def generate_mac(self, ctx: RequestContext, params: Params) -> Output:
        result = signing.generate_mac(
            sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"], message=params["Message"],
            mac_algorithm=params["MacAlgorithm"], dry_run=params.get("DryRun"), caller=ctx.principal_arn,
            now=ctx.now,
        )  # fmt: skip
        return {"Mac": result.mac, "MacAlgorithm": result.algorithm, "KeyId": result.key_arn}

    @reads_only
    def verify_mac(self, ctx: RequestContext, params: Params) -> Output:
        result = signing.verify_mac(
            sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"], message=params["Message"],
            mac=params["Mac"], mac_algorithm=params["MacAlgorithm"], dry_run=params.get("DryRun"),
            caller=ctx.principal_arn, now=ctx.now,
        )  # fmt: skip
        return {"KeyId": result.key_arn, "MacValid": True, "MacAlgorithm": result.algorithm}

    def derive_shared_secret(self, ctx: RequestContext, params: Params) -> Output:
        result = signing.derive_shared_secret(
            sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"],
            key_agreement_algorithm=params["KeyAgreementAlgorithm"], public_key=params["PublicKey"],
            dry_run=params.get("DryRun"), caller=ctx.principal_arn, now=ctx.now,
        )  # fmt: skip
        return {
            "KeyId": result.key_arn,
            "SharedSecret": result.shared_secret,
            "KeyAgreementAlgorithm": result.algorithm,
            "KeyOrigin": result.key_origin,
        }
