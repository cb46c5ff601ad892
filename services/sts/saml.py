"""AssumeRoleWithSAML's assertion: the base64 SAML 2.0 Response an identity provider posts.

Read as AWS documents it (IAM User Guide, "Configure SAML assertions for the authentication
response"):

    Issuer                      the IdP                                  -> Issuer
    Subject/NameID (+Format)    the user                                 -> Subject, SubjectType
    SubjectConfirmationData     Recipient (the sign-in URL), NotOnOrAfter -> Audience, expiry
    Conditions                  NotBefore / NotOnOrAfter, AudienceRestriction (https://signin.aws.amazon.com/saml)
    Attribute https://aws.amazon.com/SAML/Attributes/Role              "role-arn,saml-provider-arn" pairs
    Attribute https://aws.amazon.com/SAML/Attributes/RoleSessionName   the session name (required)
    Attribute https://aws.amazon.com/SAML/Attributes/SessionDuration   at most this many seconds
    Attribute https://aws.amazon.com/SAML/Attributes/SourceIdentity    -> SourceIdentity

Times are checked against the sandbox clock. The XML is parsed with the standard library; a
document type declaration is refused outright, so no entity can expand. The signature is not
checked (IAM SAML providers and their metadata are not emulated: see the provider's LIMITATIONS).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from xml.etree import ElementTree

from services.sts.exceptions import ExpiredToken, InvalidIdentityToken

PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion"
NAMEID_PREFIX = "urn:oasis:names:tc:SAML:2.0:nameid-format:"
ATTRIBUTES = "https://aws.amazon.com/SAML/Attributes/"
AUDIENCES = ("https://signin.aws.amazon.com/saml", "urn:amazon:webservices")
_REGIONAL_AUDIENCE = re.compile(r"^https://[a-z0-9-]+\.signin\.aws\.amazon\.com/saml$")
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
NS = {"samlp": PROTOCOL, "saml": ASSERTION}


@dataclass(frozen=True)
class SamlAssertion:
    issuer: str
    subject: str
    subject_type: str
    audience: str  # the Recipient of the SubjectConfirmationData
    roles: tuple[tuple[str, str], ...]  # (role ARN, SAML provider ARN)
    session_name: str
    session_duration: int | None
    source_identity: str

    def name_qualifier(self, account_id: str, provider_arn: str) -> str:
        """AWS's NameQualifier: Base64(SHA1(Issuer + account id + "/" + the provider's name))."""
        provider_name = provider_arn.rsplit("/", 1)[-1]
        digest = hashlib.sha1((self.issuer + account_id + "/" + provider_name).encode(), usedforsecurity=False)
        return base64.b64encode(digest.digest()).decode()


def _invalid() -> InvalidIdentityToken:
    return InvalidIdentityToken()


def _time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise _invalid() from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _text(element: ElementTree.Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _document(encoded: str) -> ElementTree.Element:
    try:
        raw = base64.b64decode("".join(encoded.split()), validate=True)
    except (binascii.Error, ValueError):
        raise _invalid() from None
    if _DECLARATION.search(raw):
        raise _invalid()  # no DTD, so no entity expansion
    try:
        return ElementTree.fromstring(raw)  # noqa: S314  (declarations are refused above)
    except ElementTree.ParseError:
        raise _invalid() from None


def _subject_type(name_format: str) -> str:
    if not name_format:
        return "unspecified"
    return name_format[len(NAMEID_PREFIX) :] if name_format.startswith(NAMEID_PREFIX) else name_format


def _attributes(assertion: ElementTree.Element) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for attribute in assertion.iterfind("saml:AttributeStatement/saml:Attribute", NS):
        values = [_text(value) for value in attribute.iterfind("saml:AttributeValue", NS)]
        found.setdefault(attribute.get("Name", ""), []).extend(value for value in values if value)
    return found


def _roles(values: list[str]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for value in values:
        first, _, second = (part.strip() for part in value.partition(","))
        role, provider = (second, first) if ":saml-provider/" in first else (first, second)
        if ":role/" in role and ":saml-provider/" in provider:
            pairs.append((role, provider))
    return tuple(pairs)


def read_assertion(encoded: str, *, now: dt.datetime) -> SamlAssertion:
    """The assertion a base64 SAMLResponse carries, or AWS's error for one it would refuse."""
    root = _document(encoded)
    if root.tag == f"{{{PROTOCOL}}}Response":
        if root.find("saml:EncryptedAssertion", NS) is not None:
            raise _invalid()  # the IdP encrypted it for a private key IAM would hold
        assertion = root.find("saml:Assertion", NS)
    elif root.tag == f"{{{ASSERTION}}}Assertion":
        assertion = root
    else:
        raise _invalid()
    if assertion is None:
        raise _invalid()
    issuer = _text(assertion.find("saml:Issuer", NS)) or _text(root.find("saml:Issuer", NS))
    name_id = assertion.find("saml:Subject/saml:NameID", NS)
    confirmation = assertion.find("saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData", NS)
    conditions = assertion.find("saml:Conditions", NS)
    if not issuer or name_id is None or not _text(name_id):
        raise _invalid()
    ends = [
        moment
        for moment in (
            _time(confirmation.get("NotOnOrAfter") if confirmation is not None else None),
            _time(conditions.get("NotOnOrAfter") if conditions is not None else None),
        )
        if moment is not None
    ]
    if any(moment <= now for moment in ends):
        raise ExpiredToken()
    starts = _time(conditions.get("NotBefore") if conditions is not None else None)
    if starts is not None and starts > now + dt.timedelta(minutes=5):  # AWS allows a little clock skew
        raise _invalid()
    restriction = "saml:Conditions/saml:AudienceRestriction/saml:Audience"
    audiences = [_text(item) for item in assertion.iterfind(restriction, NS)]
    if audiences and not any(item in AUDIENCES or _REGIONAL_AUDIENCE.match(item) for item in audiences):
        raise _invalid()
    attributes = _attributes(assertion)
    session_names = attributes.get(ATTRIBUTES + "RoleSessionName", [])
    if not session_names:
        raise _invalid()
    durations = attributes.get(ATTRIBUTES + "SessionDuration", [])
    session_duration = None
    if durations:
        if not durations[0].isdigit():
            raise _invalid()
        session_duration = int(durations[0])
    return SamlAssertion(
        issuer=issuer,
        subject=_text(name_id),
        subject_type=_subject_type(name_id.get("Format", "")),
        audience=(confirmation.get("Recipient", "") if confirmation is not None else "") or (audiences or [""])[0],
        roles=_roles(attributes.get(ATTRIBUTES + "Role", [])),
        session_name=session_names[0],
        session_duration=session_duration,
        source_identity=(attributes.get(ATTRIBUTES + "SourceIdentity") or [""])[0],
    )
