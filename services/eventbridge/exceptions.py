"""EventBridge errors, named after the error shapes of botocore's events model. The JSON 1.1
protocol sends the shape name as `__type`; AWS answers every client error with HTTP 400."""

from __future__ import annotations

from playground.gateway.errors import AwsError


class EventsError(AwsError):
    status = 400


class ResourceNotFoundException(EventsError):
    code = "ResourceNotFoundException"


class ResourceAlreadyExistsException(EventsError):
    code = "ResourceAlreadyExistsException"


class InvalidEventPatternException(EventsError):
    code = "InvalidEventPatternException"


class LimitExceededException(EventsError):
    code = "LimitExceededException"


class ManagedRuleException(EventsError):
    code = "ManagedRuleException"


class ValidationException(EventsError):
    code = "ValidationException"


class IllegalStatusException(EventsError):
    code = "IllegalStatusException"


class PolicyLengthExceededException(EventsError):
    code = "PolicyLengthExceededException"


class InternalException(EventsError):
    code = "InternalException"
    status = 500
    sender_fault = False


def rule_not_found(name: str, bus: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Rule {name} does not exist on EventBus {bus}.")


def bus_not_found(name: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Event bus {name} does not exist.")


def invalid_pattern(reason: str) -> InvalidEventPatternException:
    return InvalidEventPatternException(f"Event pattern is not valid. Reason: {reason}")


def managed_rule(name: str, managed_by: str) -> ManagedRuleException:
    return ManagedRuleException(
        f"Rule {name} is managed by {managed_by}; use Force to delete it or remove its targets. Managed rules"
        " cannot be changed by PutRule, PutTargets, EnableRule, DisableRule, TagResource or UntagResource."
    )
