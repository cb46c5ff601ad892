"""A small catalogue of public AMIs (DescribeImages), the same in every region: what RunInstances
accepts as ImageId. Nothing is booted from them (docs/ec2.md, LIMITATIONS)."""

from __future__ import annotations

from typing import Any

from services.ec2 import common
from services.ec2.exceptions import InvalidAMIIDMalformed, InvalidAMIIDNotFound

AMAZON = "137112412989"
CANONICAL = "099720109477"
MICROSOFT = "801119661308"

# (image ID, name, description, owner, platform details, architecture)
CATALOGUE: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("ami-0c02fb55956c7d316", "al2023-ami-2023.6.20241212.0-kernel-6.1-x86_64", "Amazon Linux 2023 AMI",
     AMAZON, "Linux/UNIX", "x86_64"),
    ("ami-0a3c3a20c09d6f377", "al2023-ami-2023.6.20241212.0-kernel-6.1-arm64", "Amazon Linux 2023 AMI (arm64)",
     AMAZON, "Linux/UNIX", "arm64"),
    ("ami-05b10e08d247fb927", "amzn2-ami-kernel-5.10-hvm-2.0.20241217.0-x86_64-gp2", "Amazon Linux 2 Kernel 5.10 AMI",
     AMAZON, "Linux/UNIX", "x86_64"),
    ("ami-0e2c8caa4b6378d8c", "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20241206",
     "Canonical, Ubuntu, 24.04, amd64 noble image", CANONICAL, "Linux/UNIX", "x86_64"),
    ("ami-005fc0f236362e99f", "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20241206",
     "Canonical, Ubuntu, 22.04 LTS, amd64 jammy image", CANONICAL, "Linux/UNIX", "x86_64"),
    ("ami-09ec59ede75ed2db7", "Windows_Server-2022-English-Full-Base-2024.12.13", "Microsoft Windows Server 2022",
     MICROSOFT, "Windows", "x86_64"),
)  # fmt: skip
OWNER_ALIASES = {AMAZON: "amazon", CANONICAL: "", MICROSOFT: "amazon"}

IMAGE_FILTERS = (
    "image-id", "name", "description", "owner-id", "owner-alias", "architecture", "platform", "platform-details",
    "state", "is-public", "image-type", "root-device-type", "virtualization-type",
)  # fmt: skip


def image_view(entry: tuple[str, str, str, str, str, str]) -> dict[str, Any]:
    image_id, name, description, owner, platform, arch = entry
    view: dict[str, Any] = {
        "ImageId": image_id, "Name": name, "Description": description, "OwnerId": owner, "State": "available",
        "Public": True, "Architecture": arch, "ImageType": "machine", "PlatformDetails": platform,
        "UsageOperation": "RunInstances:0002" if platform == "Windows" else "RunInstances",
        "RootDeviceType": "ebs", "RootDeviceName": "/dev/xvda", "VirtualizationType": "hvm", "Hypervisor": "xen",
        "EnaSupport": True, "CreationDate": "2024-12-13T00:00:00.000Z", "BootMode": "uefi-preferred",
        "BlockDeviceMappings": [
            {"DeviceName": "/dev/xvda",
             "Ebs": {"DeleteOnTermination": True, "SnapshotId": "snap-" + image_id[4:], "VolumeSize": 8,
                     "VolumeType": "gp3", "Encrypted": False}}
        ],
    }  # fmt: skip
    if OWNER_ALIASES.get(owner):
        view["ImageOwnerAlias"] = OWNER_ALIASES[owner]
    if platform == "Windows":
        view["Platform"] = "windows"
    return view


def _fields(entry: tuple[str, str, str, str, str, str]) -> common.Fields:
    image_id, name, description, owner, platform, arch = entry
    return {
        "image-id": [image_id], "name": [name], "description": [description], "owner-id": [owner],
        "owner-alias": [OWNER_ALIASES.get(owner) or ""], "architecture": [arch],
        "platform": ["windows"] if platform == "Windows" else [], "platform-details": [platform],
        "state": ["available"], "is-public": ["true"], "image-type": ["machine"], "root-device-type": ["ebs"],
        "virtualization-type": ["hvm"],
    }  # fmt: skip


def images_describe(*, image_ids: list[str], owners: list[str], filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    entries = list(CATALOGUE)
    if image_ids:
        for image_id in image_ids:
            image_get(image_id)
        entries = [entry for entry in entries if entry[0] in image_ids]
    if owners:
        entries = [
            entry for entry in entries
            if entry[3] in owners or (OWNER_ALIASES.get(entry[3]) or "-") in owners
        ]  # fmt: skip
    return [image_view(entry) for entry in common.select(entries, filters, _fields, IMAGE_FILTERS)]


def image_get(image_id: str) -> tuple[str, str, str, str, str, str]:
    if not common.id_is_valid(image_id, "ami"):
        raise InvalidAMIIDMalformed(f'Invalid id: "{image_id}" (expecting "ami-...")')
    for entry in CATALOGUE:
        if entry[0] == image_id:
            return entry
    raise InvalidAMIIDNotFound(f"The image id '[{image_id}]' does not exist")
