"""EC2 errors. The ec2 model defines no error shapes: the code is AWS's dotted code
(InvalidInstanceID.NotFound), sent in EC2's `<Response><Errors><Error>` document. Client errors are
HTTP 400, as AWS's Common Client Errors page lists them."""

from __future__ import annotations

from playground.gateway.errors import AwsError


class Ec2Error(AwsError):
    status = 400


def _error(code: str) -> type[Ec2Error]:
    return type(code.replace(".", ""), (Ec2Error,), {"code": code})


InvalidParameterValue = _error("InvalidParameterValue")
InvalidParameterCombination = _error("InvalidParameterCombination")
MissingParameter = _error("MissingParameter")
InvalidID = _error("InvalidID")
InvalidFilter = _error("InvalidFilter")
InvalidNextToken = _error("InvalidNextToken")
DependencyViolation = _error("DependencyViolation")
IncorrectInstanceState = _error("IncorrectInstanceState")
InvalidInstanceIDNotFound = _error("InvalidInstanceID.NotFound")
InvalidInstanceIDMalformed = _error("InvalidInstanceID.Malformed")
InvalidAMIIDNotFound = _error("InvalidAMIID.NotFound")
InvalidAMIIDMalformed = _error("InvalidAMIID.Malformed")
InvalidVpcIDNotFound = _error("InvalidVpcID.NotFound")
InvalidVpcIDMalformed = _error("InvalidVpcID.Malformed")
InvalidVpcRange = _error("InvalidVpc.Range")
InvalidSubnetIDNotFound = _error("InvalidSubnetID.NotFound")
InvalidSubnetIDMalformed = _error("InvalidSubnetID.Malformed")
InvalidSubnetRange = _error("InvalidSubnet.Range")
InvalidSubnetConflict = _error("InvalidSubnet.Conflict")
InvalidGroupNotFound = _error("InvalidGroup.NotFound")
InvalidGroupIdMalformed = _error("InvalidGroupId.Malformed")
InvalidGroupDuplicate = _error("InvalidGroup.Duplicate")
InvalidGroupReserved = _error("InvalidGroup.Reserved")
CannotDelete = _error("CannotDelete")
InvalidPermissionDuplicate = _error("InvalidPermission.Duplicate")
InvalidPermissionNotFound = _error("InvalidPermission.NotFound")
InvalidPermissionMalformed = _error("InvalidPermission.Malformed")
InvalidKeyPairNotFound = _error("InvalidKeyPair.NotFound")
InvalidKeyPairDuplicate = _error("InvalidKeyPair.Duplicate")
InvalidKeyPairFormat = _error("InvalidKeyPair.Format")
InvalidAvailabilityZone = _error("InvalidAvailabilityZone")
InvalidUserDataMalformed = _error("InvalidUserData.Malformed")
InstanceLimitExceeded = _error("InstanceLimitExceeded")
# network ACLs, route tables and internet gateways (routing.py)
InvalidNetworkAclIDNotFound = _error("InvalidNetworkAclID.NotFound")
InvalidNetworkAclEntryNotFound = _error("InvalidNetworkAclEntry.NotFound")
NetworkAclEntryAlreadyExists = _error("NetworkAclEntryAlreadyExists")
InvalidAssociationIDNotFound = _error("InvalidAssociationID.NotFound")
InvalidRouteTableIDNotFound = _error("InvalidRouteTableID.NotFound")
InvalidRouteNotFound = _error("InvalidRoute.NotFound")
RouteAlreadyExists = _error("RouteAlreadyExists")
InvalidGatewayIDNotFound = _error("InvalidGatewayID.NotFound")
InvalidInternetGatewayIDNotFound = _error("InvalidInternetGatewayID.NotFound")
ResourceAlreadyAssociated = _error("Resource.AlreadyAssociated")
GatewayNotAttached = _error("Gateway.NotAttached")
