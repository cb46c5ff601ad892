"""STS: who am I, and temporary credentials that work against the same sandbox, expiring on its
clock. Every operation of botocore's sts model; the rules live in the domain modules:

    sessions.py     who may call what, durations, session policies' packed size, issuing keys
    webidentity.py  AssumeRoleWithWebIdentity's JWT; saml.py AssumeRoleWithSAML's assertion
    tokens.py       GetWebIdentityToken's signed JWTs and the key set that verifies them (views.py)
    messages.py     DecodeAuthorizationMessage; delegation.py GetDelegatedAccessToken's trade-in tokens
    workloads.py    GetCertificate, GetTrustBundles, IssueWorkloadIdentityContext

AssumeRoleWithWebIdentity and AssumeRoleWithSAML are sent unsigned, as AWS's SDKs send them: the
call acts in the sandbox of the account the RoleArn names (made on first use in open mode; in
strict mode only an existing one, otherwise AccessDenied as for a role that does not exist).

LIMITATIONS
- IAM is not emulated: AssumeRole* do not check that the role exists or that its trust policy
  admits the caller (the web identity token's audience, the SAML provider), and no role has a
  MaxSessionDuration below 12 hours; they refuse roles of another account, since a sandbox never
  reaches another sandbox. Session policies, policy ARNs and tags are checked (JSON, packed size)
  and reported in PackedPolicySize, but not enforced; MFA parameters are accepted and ignored.
- Web identity tokens are decoded, not verified: IAM OIDC identity providers (and their keys and
  thumbprints) are not emulated, so any issuer is accepted and the signature is not checked;
  `exp` and `nbf` are checked against the sandbox clock. An OAuth 2.0 access token (not a JWT,
  with ProviderId) answers IDPCommunicationError: its provider cannot be asked from here.
- SAML assertions are read, not verified: the XML signature is not checked (no IAM SAML
  provider metadata), encrypted assertions are refused (InvalidIdentityToken), and times are
  checked against the sandbox clock.
- GetWebIdentityToken works as if outbound identity federation were enabled for every account;
  tokens are signed with the sandbox's own keys and their issuer is this server
  (PLAYGROUND_PUBLIC_URL/sts/<account>), which publishes the keys.
- Workload identity templates and providers are IAM resources and are not emulated: GetCertificate
  and JWT-SVID tokens answer AccessDenied (no session has a workload identity), GetTrustBundles
  ResourceNotFoundException, IssueWorkloadIdentityContext AccessDenied (no template exists).
- AssumeRoot acts on the caller's own account only (Organizations is not emulated), and returns
  credentials of the account's root user.
- GetDelegatedAccessToken takes trade-in tokens that Playground issues
  (services.sts.public.trade_in_token); AWS's features that issue them are not emulated.
- GetAccessKeyInfo answers for keys of any sandbox on this server, and for a 12-digit key id
  (open mode's account keys) with that account; any other key id is refused as unknown.
- Credentials are refused once expired only where signatures are checked (strict mode); open
  mode accepts any key, as it always does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playground.gateway.registry import Provider, own_transactions, register
from playground.gateway.request import RequestContext
from playground.sandboxes.models import AccessKey, Sandbox
from playground.sandboxes.principals import (
    ROLE_SESSION,
    assumed_role_id,
    federated_user_arn,
    federated_user_id,
    principal_id,
    root_arn,
)
from services.sts import delegation, messages, saml, sessions, tokens, webidentity, workloads
from services.sts.exceptions import (
    AccessDenied,
    InsufficientSessionLifetime,
    SessionDurationEscalation,
    ValidationError,
)

SAML_PROVIDER_ARN = re.compile(r"^arn:aws:iam::(\d{12}):saml-provider/[\w+=,.@-]{1,128}$")
FEDERATED_NAME = re.compile(r"^[\w+=,.@-]{2,32}$")
ROOT_TASK_POLICIES = tuple(
    f"arn:aws:iam::aws:policy/root-task/{name}"
    for name in (
        "IAMAuditRootUserCredentials",
        "IAMCreateRootUserPassword",
        "IAMDeleteRootUserCredentials",
        "S3UnlockBucketPolicy",
        "SQSUnlockQueuePolicy",
    )
)
MAX_SCOPED_POLICIES = 3
ROLE_CHAINING = "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
UNSIGNED = ("AssumeRoleWithWebIdentity", "AssumeRoleWithSAML")


def _not_authorized(operation: str) -> AccessDenied:
    """What AWS answers for a role that does not exist or does not trust the identity provider."""
    return AccessDenied(f"Not authorized to perform sts:{operation}")


def _role_user(role: sessions.Role, session_name: str) -> dict[str, str]:
    return {
        "AssumedRoleId": assumed_role_id(role.account_id, role.name, session_name),
        "Arn": role.session_arn(session_name),
    }


def _with(output: dict[str, Any], **optional: Any) -> dict[str, Any]:
    """`output` plus the optional members that have a value."""
    output.update({name: value for name, value in optional.items() if value not in (None, "")})
    return output


def _role_arn_of(principal_arn: str) -> str:
    """The role of an assumed-role session ARN (arn:aws:sts::A:assumed-role/R/s -> arn:aws:iam::A:role/R)."""
    if ROLE_SESSION not in principal_arn:
        return principal_arn
    account_id = principal_arn.split(":")[4]
    return f"arn:aws:iam::{account_id}:role/{principal_arn.split(ROLE_SESSION, 1)[1].split('/')[0]}"


@register
class StsProvider(Provider):
    service = "sts"

    def unsigned_sandbox(
        self, operation: str, params: dict[str, Any], *, find: Callable[[str], Sandbox | None]
    ) -> Sandbox | None:
        if operation not in UNSIGNED:
            return None
        role = sessions.role_of(params["RoleArn"])
        sandbox = find(role.account_id)
        if sandbox is None:
            raise _not_authorized(operation)
        return sandbox

    def _caller(self, ctx: RequestContext, resource: str = "") -> str:
        return sessions.check_caller(
            operation=ctx.operation, principal_arn=ctx.principal_arn, access_key=ctx.access_key, resource=resource
        )

    # --- who am I ----------------------------------------------------------------------------------

    @own_transactions  # only reads: no transaction (on SQLite, BEGIN IMMEDIATE takes the write lock)
    def get_caller_identity(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        arn = ctx.principal_arn
        return {"UserId": principal_id(arn), "Account": ctx.account_id, "Arn": arn}

    @own_transactions  # only reads: no transaction (on SQLite, BEGIN IMMEDIATE takes the write lock)
    def get_access_key_info(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self._caller(ctx)
        key_id = params["AccessKeyId"]
        owner = AccessKey.objects.filter(access_key_id=key_id).values_list("sandbox__account_id", flat=True).first()
        if owner is None and len(key_id) == 12 and key_id.isdigit():
            owner = key_id  # open mode's account keys name their account
        if owner is None:
            raise ValidationError(f"The access key ID {key_id} does not exist.")
        return {"Account": owner}

    def decode_authorization_message(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self._caller(ctx)
        return {"DecodedMessage": messages.message_decode(sandbox=ctx.sandbox, encoded=params["EncodedMessage"])}

    # --- roles -------------------------------------------------------------------------------------

    def assume_role(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        role = sessions.role_of(params["RoleArn"])
        kind = self._caller(ctx, resource=params["RoleArn"])
        if role.account_id != ctx.account_id:
            raise AccessDenied(
                f"User: {ctx.principal_arn} is not authorized to perform: sts:AssumeRole "
                f"on resource: {params['RoleArn']}"
            )
        name = sessions.check_session_name(params["RoleSessionName"])
        chained = kind == sessions.ROLE
        seconds = sessions.duration(
            params.get("DurationSeconds"),
            default=3600,
            high=sessions.ROLE_CHAINING_LIMIT if chained else 43200,
            reason=ROLE_CHAINING if chained else "",
        )
        packed = sessions.packed_policy_size(
            policy=params.get("Policy"), policy_arns=params.get("PolicyArns"), tags=params.get("Tags")
        )
        parent = sessions.session_of(ctx.access_key)
        source = (parent.source_identity if parent else "") or params.get("SourceIdentity", "")
        if parent and parent.source_identity and params.get("SourceIdentity", source) != source:
            raise AccessDenied("The source identity of a role session cannot be changed by role chaining.")
        issued = sessions.session_issue(
            sandbox=ctx.sandbox,
            principal_arn=role.session_arn(name),
            seconds=seconds,
            issued_by=ctx.operation,
            now=ctx.now,
            min_token_size=params.get("MinimumSessionTokenSize"),
            source_identity=source,
            origin_subject=parent.origin_subject if parent else "",
        )
        output: dict[str, Any] = {"Credentials": issued.credentials(), "AssumedRoleUser": _role_user(role, name)}
        output.update(issued.token_sizes(params.get("MinimumSessionTokenSize")))
        return _with(output, PackedPolicySize=packed, SourceIdentity=source)

    def assume_role_with_web_identity(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        role = sessions.role_of(params["RoleArn"])
        if role.account_id != ctx.account_id:
            raise _not_authorized(ctx.operation)
        name = sessions.check_session_name(params["RoleSessionName"])
        identity = webidentity.read_token(params["WebIdentityToken"], provider_id=params.get("ProviderId"), now=ctx.now)
        seconds = sessions.duration(params.get("DurationSeconds"), default=3600, high=43200)
        packed = sessions.packed_policy_size(policy=params.get("Policy"), policy_arns=params.get("PolicyArns"))
        issued = sessions.session_issue(
            sandbox=ctx.sandbox,
            principal_arn=role.session_arn(name),
            seconds=seconds,
            issued_by=ctx.operation,
            now=ctx.now,
            min_token_size=params.get("MinimumSessionTokenSize"),
            origin_subject=identity.subject,
        )
        output: dict[str, Any] = {
            "Credentials": issued.credentials(),
            "SubjectFromWebIdentityToken": identity.subject,
            "AssumedRoleUser": _role_user(role, name),
            "Provider": identity.provider,
            "Audience": identity.audience,
        }
        output.update(issued.token_sizes(params.get("MinimumSessionTokenSize")))
        return _with(output, PackedPolicySize=packed)

    def assume_role_with_saml(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        role = sessions.role_of(params["RoleArn"])
        provider = SAML_PROVIDER_ARN.match(params["PrincipalArn"])
        if provider is None:
            raise ValidationError(f"{params['PrincipalArn']} is invalid")
        if role.account_id != ctx.account_id or provider.group(1) != role.account_id:
            raise _not_authorized(ctx.operation)
        assertion = saml.read_assertion(params["SAMLAssertion"], now=ctx.now)
        if (params["RoleArn"], params["PrincipalArn"]) not in assertion.roles:
            raise _not_authorized(ctx.operation)
        name = sessions.check_session_name(assertion.session_name, parameter="RoleSessionName")
        seconds = sessions.duration(params.get("DurationSeconds"), default=3600, high=43200)
        if assertion.session_duration is not None:
            if not 900 <= assertion.session_duration <= 43200:
                raise ValidationError(
                    f"The SessionDuration attribute ({assertion.session_duration}) must be between 900 and 43200 "
                    "seconds."
                )
            seconds = min(seconds, assertion.session_duration)
        packed = sessions.packed_policy_size(policy=params.get("Policy"), policy_arns=params.get("PolicyArns"))
        issued = sessions.session_issue(
            sandbox=ctx.sandbox,
            principal_arn=role.session_arn(name),
            seconds=seconds,
            issued_by=ctx.operation,
            now=ctx.now,
            min_token_size=params.get("MinimumSessionTokenSize"),
            source_identity=assertion.source_identity,
            origin_subject=assertion.subject,
        )
        output: dict[str, Any] = {
            "Credentials": issued.credentials(),
            "AssumedRoleUser": _role_user(role, name),
            "Subject": assertion.subject,
            "SubjectType": assertion.subject_type,
            "Issuer": assertion.issuer,
            "Audience": assertion.audience,
            "NameQualifier": assertion.name_qualifier(ctx.account_id, params["PrincipalArn"]),
        }
        output.update(issued.token_sizes(params.get("MinimumSessionTokenSize")))
        return _with(output, PackedPolicySize=packed, SourceIdentity=assertion.source_identity)

    def assume_root(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        kind = self._caller(ctx)
        if kind == sessions.ROOT:
            raise AccessDenied("You cannot call AssumeRoot with root user credentials.")
        target = params["TargetPrincipal"]
        account_id = target if target.isdigit() and len(target) == 12 else None
        if account_id is None and re.fullmatch(r"arn:aws:iam::\d{12}:root", target):
            account_id = target.split(":")[4]
        if account_id is None:
            raise ValidationError(f"{target} is not an account ID or the ARN of an account's root user.")
        if account_id != ctx.account_id:
            raise AccessDenied(
                f"User: {ctx.principal_arn} is not authorized to perform: sts:AssumeRoot on resource: {target}"
            )
        policy = (params.get("TaskPolicyArn") or {}).get("arn", "")
        if policy not in ROOT_TASK_POLICIES:
            raise ValidationError(f"TaskPolicyArn must be one of: {', '.join(ROOT_TASK_POLICIES)}.")
        issued = sessions.session_issue(
            sandbox=ctx.sandbox,
            principal_arn=root_arn(account_id),
            seconds=sessions.duration(params.get("DurationSeconds"), default=900, high=900),
            issued_by=ctx.operation,
            now=ctx.now,
            min_token_size=params.get("MinimumSessionTokenSize"),
        )
        output: dict[str, Any] = {"Credentials": issued.credentials()}
        output.update(issued.token_sizes(params.get("MinimumSessionTokenSize")))
        return output

    # --- sessions of the caller --------------------------------------------------------------------

    def get_session_token(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        kind = self._caller(ctx)
        root = kind == sessions.ROOT
        seconds = sessions.duration(
            params.get("DurationSeconds"), default=3600 if root else 43200, high=3600 if root else 129600
        )
        issued = sessions.session_issue(
            sandbox=ctx.sandbox,
            principal_arn=ctx.principal_arn,
            seconds=seconds,
            issued_by=ctx.operation,
            now=ctx.now,
            min_token_size=params.get("MinimumSessionTokenSize"),
        )
        output: dict[str, Any] = {"Credentials": issued.credentials()}
        output.update(issued.token_sizes(params.get("MinimumSessionTokenSize")))
        return output

    def get_federation_token(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        kind = self._caller(ctx)
        name = params["Name"]
        if not FEDERATED_NAME.match(name):
            raise ValidationError(
                f"1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: "
                r"Member must satisfy regular expression pattern: [\w+=,.@-]*"
            )
        seconds = sessions.duration(params.get("DurationSeconds"), default=43200, high=129600)
        if kind == sessions.ROOT:
            seconds = min(seconds, 3600)  # a root user's federation tokens last an hour at most
        packed = sessions.packed_policy_size(
            policy=params.get("Policy"), policy_arns=params.get("PolicyArns"), tags=params.get("Tags")
        )
        arn = federated_user_arn(ctx.account_id, name)
        issued = sessions.session_issue(
            sandbox=ctx.sandbox,
            principal_arn=arn,
            seconds=seconds,
            issued_by=ctx.operation,
            now=ctx.now,
            min_token_size=params.get("MinimumSessionTokenSize"),
        )
        output: dict[str, Any] = {
            "Credentials": issued.credentials(),
            "FederatedUser": {"FederatedUserId": federated_user_id(ctx.account_id, name), "Arn": arn},
        }
        output.update(issued.token_sizes(params.get("MinimumSessionTokenSize")))
        return _with(output, PackedPolicySize=packed)

    def get_scoped_credentials(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self._caller(ctx)
        key = ctx.access_key
        if key is None or not key.is_temporary or key.expires_at is None:
            raise AccessDenied("Cannot call GetScopedCredentials with long-term credentials")
        policy, seconds = params.get("Policy"), params.get("DurationSeconds")
        if policy is None and seconds is None:
            raise ValidationError("A request must provide at least one of Policy or DurationSeconds.")
        sessions.packed_policy_size(policy=policy, policy_arns=None)
        parent = sessions.session_of(key)
        layers = (parent.scoped_policies if parent else 0) + (1 if policy is not None else 0)
        if layers > MAX_SCOPED_POLICIES:
            raise AccessDenied(
                f"User: {ctx.principal_arn} is not authorized to perform: sts:GetScopedCredentials because the "
                f"session already has {MAX_SCOPED_POLICIES} scope down policies"
            )
        if seconds is not None and ctx.now.timestamp() + seconds > key.expires_at.timestamp():
            raise InsufficientSessionLifetime()
        issued = sessions.session_issue(
            sandbox=ctx.sandbox,
            principal_arn=ctx.principal_arn,
            seconds=seconds or 0,
            issued_by=ctx.operation,
            now=ctx.now,
            min_token_size=params.get("MinimumSessionTokenSize"),
            source_identity=parent.source_identity if parent else "",
            origin_subject=parent.origin_subject if parent else "",
            scoped_policies=layers,
            expires_at=None if seconds is not None else key.expires_at,
        )
        output: dict[str, Any] = {
            "Credentials": issued.credentials(),
            "SessionInfo": {"ScopedSessionId": principal_id(ctx.principal_arn), "Arn": ctx.principal_arn},
            "ScopedPoliciesCount": layers,
        }
        output.update(issued.token_sizes(params.get("MinimumSessionTokenSize")))
        return _with(output, SourceIdentity=parent.source_identity if parent else "")

    def get_delegated_access_token(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self._caller(ctx)
        principal = delegation.trade_in_token_redeem(sandbox=ctx.sandbox, token=params["TradeInToken"], now=ctx.now)
        issued = sessions.session_issue(
            sandbox=ctx.sandbox,
            principal_arn=principal,
            seconds=delegation.DELEGATED_SESSION_SECONDS,
            issued_by=ctx.operation,
            now=ctx.now,
        )
        return {"Credentials": issued.credentials(), "AssumedPrincipal": principal}

    # --- tokens and certificates for the caller ------------------------------------------------------

    def get_web_identity_token(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self._caller(ctx)
        token_type = params.get("TokenType")
        audiences: list[str] = params["Audience"]
        if token_type is not None and (params.get("SubjectMode") is not None or params.get("Scope") is not None):
            raise ValidationError("TokenType can't be specified together with SubjectMode or Scope.")
        if token_type == "JWT_SVID":  # noqa: S105  (a token type, not a secret)
            if len(audiences) != 1 or params.get("Tags"):
                raise ValidationError("A JWT_SVID token takes exactly one Audience and no Tags.")
            raise workloads.no_workload_identity(operation=ctx.operation, principal_arn=ctx.principal_arn)
        algorithm = params["SigningAlgorithm"]
        if algorithm not in tokens.ALGORITHMS:
            raise ValidationError(
                f"1 validation error detected: Value '{algorithm}' at 'signingAlgorithm' failed to satisfy "
                f"constraint: Member must satisfy enum value set: [{', '.join(tokens.ALGORITHMS)}]"
            )
        scope = params.get("Scope")
        if scope is not None:
            values = scope.split(" ")
            if (
                scope != scope.strip()
                or "" in values
                or len(set(values)) != len(values)
                or any(char in scope for char in '",\\')
            ):
                raise ValidationError(f"Scope '{scope}' is not a valid space-separated list of scope values.")
        seconds = params.get("DurationSeconds") or 300
        key = ctx.access_key
        ends = key.expires_at if key is not None else None
        if ends is not None and ctx.now.timestamp() + seconds > ends.timestamp():
            raise SessionDurationEscalation()
        parent = sessions.session_of(key)
        subject = _role_arn_of(ctx.principal_arn)
        if params.get("SubjectMode") == "OriginIdentity":
            if parent is None or not parent.origin_subject:
                raise ValidationError("The calling session has no origin identity to put in the sub claim.")
            subject = parent.origin_subject
        token, expiration = tokens.token_issue(
            sandbox=ctx.sandbox,
            subject=subject,
            principal_arn=_role_arn_of(ctx.principal_arn),
            audiences=audiences,
            seconds=seconds,
            algorithm=algorithm,
            scope=scope,
            tags=params.get("Tags"),
            now=ctx.now,
        )
        return {"WebIdentityToken": token, "Expiration": expiration}

    def get_certificate(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self._caller(ctx)
        raise workloads.no_workload_identity(operation=ctx.operation, principal_arn=ctx.principal_arn)

    def get_trust_bundles(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self._caller(ctx)
        return {"TrustBundles": workloads.trust_bundles(provider_arn=params["ProviderArn"])}

    def issue_workload_identity_context(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self._caller(ctx)
        workloads.workload_context_issue(
            template_arn=params.get("WorkloadIdentityTemplateArn"),
            attestation_document=params["AttestationDocument"],
            principal_arn=ctx.principal_arn,
        )
        return {}
