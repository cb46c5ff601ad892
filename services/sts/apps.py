from __future__ import annotations

from playground import catalog


class StsConfig(catalog.ServiceApp):
    name = "services.sts"
    label = "sts"
    verbose_name = "STS"
    aws_services = ("sts",)
    title = "AWS STS"
