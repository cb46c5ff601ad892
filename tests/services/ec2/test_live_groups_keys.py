"""Security groups and their rules, key pairs with real key material, and the AMI catalogue."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from tests.conftest import error_of
from tests.services.ec2.conftest import AMI

pytestmark = pytest.mark.live


def test_security_group_rules(ec2: Any, paused: None, advance: Callable[[float], None]) -> None:
    group = ec2.create_security_group(GroupName="web", Description="web servers")["GroupId"]
    added = ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                        "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "https"}]},
                       {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}],
    )  # fmt: skip
    assert added["Return"] is True
    assert len(added["SecurityGroupRules"]) == 2
    assert added["SecurityGroupRules"][0]["CidrIpv4"] == "0.0.0.0/0"
    assert added["SecurityGroupRules"][0]["IsEgress"] is False
    described = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]
    assert described["GroupName"] == "web"
    assert described["Description"] == "web servers"
    assert sorted((p["FromPort"], p["IpRanges"][0]["CidrIp"]) for p in described["IpPermissions"]) == [
        (22, "10.0.0.0/8"), (443, "0.0.0.0/0")
    ]  # fmt: skip
    with pytest.raises(ClientError) as caught:
        ec2.authorize_security_group_ingress(
            GroupId=group, IpProtocol="tcp", FromPort=22, ToPort=22, CidrIp="10.0.0.0/8"
        )
    assert error_of(caught) == (
        "InvalidPermission.Duplicate", 400,
        'the specified rule "peer: 10.0.0.0/8, TCP, from port: 22, to port: 22, ALLOW" already exists',
    )  # fmt: skip
    found = ec2.describe_security_groups(Filters=[{"Name": "ip-permission.from-port", "Values": ["443"]}])
    assert [g["GroupId"] for g in found["SecurityGroups"]] == [group]

    ec2.revoke_security_group_ingress(
        GroupId=group,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}],
    )  # fmt: skip
    with pytest.raises(ClientError) as caught:
        ec2.revoke_security_group_ingress(GroupId=group, IpProtocol="tcp", FromPort=22, ToPort=22, CidrIp="10.0.0.0/8")
    assert error_of(caught) == (
        "InvalidPermission.NotFound", 400, "The specified rule does not exist in this security group."
    )  # fmt: skip
    ec2.revoke_security_group_egress(
        GroupId=group, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    ec2.authorize_security_group_egress(
        GroupId=group,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )  # fmt: skip
    egress = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["IpPermissionsEgress"]
    assert egress == [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                       "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}]  # fmt: skip

    with pytest.raises(ClientError) as caught:
        ec2.create_security_group(GroupName="web", Description="again")
    vpc_id = described["VpcId"]
    assert error_of(caught) == (
        "InvalidGroup.Duplicate",
        400,
        f"The security group 'web' already exists for VPC '{vpc_id}'",
    )
    default = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]["GroupId"]
    with pytest.raises(ClientError) as caught:
        ec2.delete_security_group(GroupId=default)
    assert error_of(caught) == (
        "CannotDelete", 400, f'the specified group: "{default}" name: "default" cannot be deleted by a user'
    )  # fmt: skip
    instance = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SecurityGroupIds=[group])["Instances"][0]
    with pytest.raises(ClientError) as caught:
        ec2.delete_security_group(GroupId=group)
    assert error_of(caught) == ("DependencyViolation", 400, f"resource {group} has a dependent object")
    ec2.terminate_instances(InstanceIds=[instance["InstanceId"]])
    advance(15)  # shutting-down still holds the group
    ec2.delete_security_group(GroupName="web")
    with pytest.raises(ClientError) as caught:
        ec2.describe_security_groups(GroupIds=[group])
    assert error_of(caught) == ("InvalidGroup.NotFound", 400, f"The security group '{group}' does not exist")
    with pytest.raises(ClientError) as caught:
        ec2.describe_security_groups(GroupNames=["web"])
    assert error_of(caught) == (
        "InvalidGroup.NotFound",
        400,
        f"The security group 'web' does not exist in default VPC '{vpc_id}'",
    )


def test_key_pairs_hold_real_keys(ec2: Any) -> None:
    created = ec2.create_key_pair(KeyName="deployer")
    private = serialization.load_pem_private_key(created["KeyMaterial"].encode(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    assert private.key_size == 2048
    assert created["KeyMaterial"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert len(created["KeyFingerprint"].split(":")) == 20  # SHA-1 of the PKCS#8 key
    modern = ec2.create_key_pair(KeyName="modern", KeyType="ed25519")
    assert isinstance(
        serialization.load_ssh_private_key(modern["KeyMaterial"].encode(), None), ed25519.Ed25519PrivateKey
    )
    mine = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    imported = ec2.import_key_pair(
        KeyName="laptop",
        PublicKeyMaterial=mine.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH),
    )  # fmt: skip
    assert len(imported["KeyFingerprint"].split(":")) == 16  # MD5 of the public key
    described = ec2.describe_key_pairs(KeyNames=["modern"], IncludePublicKey=True)["KeyPairs"][0]
    assert described["KeyType"] == "ed25519"
    assert described["PublicKey"].startswith("ssh-ed25519 ")
    assert sorted(k["KeyName"] for k in ec2.describe_key_pairs()["KeyPairs"]) == ["deployer", "laptop", "modern"]
    with pytest.raises(ClientError) as caught:
        ec2.create_key_pair(KeyName="deployer")
    assert error_of(caught) == ("InvalidKeyPair.Duplicate", 400, "The keypair 'deployer' already exists.")
    with pytest.raises(ClientError) as caught:
        ec2.import_key_pair(KeyName="bad", PublicKeyMaterial=b"not a key")
    assert error_of(caught) == ("InvalidKeyPair.Format", 400, "Key is not in valid OpenSSH public key format")
    ec2.delete_key_pair(KeyName="deployer")
    ec2.delete_key_pair(KeyName="deployer")  # no error: AWS answers true
    with pytest.raises(ClientError) as caught:
        ec2.describe_key_pairs(KeyNames=["deployer"])
    assert error_of(caught) == ("InvalidKeyPair.NotFound", 400, "The key pair 'deployer' does not exist")


def test_images_catalogue(ec2: Any) -> None:
    images = ec2.describe_images(Owners=["amazon"])["Images"]
    assert AMI in [image["ImageId"] for image in images]
    ubuntu = ec2.describe_images(Filters=[{"Name": "name", "Values": ["ubuntu/images/*noble*"]}])["Images"]
    assert len(ubuntu) == 1
    assert ubuntu[0]["Architecture"] == "x86_64"
    with pytest.raises(ClientError) as caught:
        ec2.describe_images(ImageIds=["ami-12345678"])
    assert error_of(caught) == ("InvalidAMIID.NotFound", 400, "The image id '[ami-12345678]' does not exist")
    with pytest.raises(ClientError) as caught:
        ec2.describe_images(ImageIds=["linux"])
    assert error_of(caught) == ("InvalidAMIID.Malformed", 400, 'Invalid id: "linux" (expecting "ami-...")')
