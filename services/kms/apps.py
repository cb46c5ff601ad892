from __future__ import annotations

from playground import catalog


class KmsConfig(catalog.ServiceApp):
    name = "services.kms"
    label = "kms"
    verbose_name = "KMS"
    aws_services = ("kms",)
    title = "AWS KMS"
    group = "Operations"
    quotas = {"Key": 100, "Alias": 200}
