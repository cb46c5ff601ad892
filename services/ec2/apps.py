from __future__ import annotations

from django.urls import reverse

from playground import catalog


class Ec2Config(catalog.ServiceApp):
    name = "services.ec2"
    label = "ec2"
    verbose_name = "EC2"
    aws_services = ("ec2",)
    title = "Amazon EC2"
    group = "Storage and compute"
    quotas = {
        "Instance": 20, "Vpc": 5, "Subnet": 200, "SecurityGroup": 500, "KeyPair": 100, "NetworkAcl": 200,
        "RouteTable": 200, "InternetGateway": 5, "FlowLog": 50,
    }  # fmt: skip

    def gui_config(self, *, sandbox_id: int) -> dict[str, object]:
        """The instance inspector reads an instance's details from the REST API's resource view, and
        sends traffic, sets a traffic profile and sets the CPU load through EC2's own endpoints (views.py)."""
        return {
            "resource": reverse("api-resource", args=[sandbox_id]),
            "traffic": reverse("ec2:traffic", args=[sandbox_id]),
            "load": reverse("ec2:load", args=[sandbox_id]),
            "profile": reverse("ec2:traffic-profile", args=[sandbox_id]),
        }
