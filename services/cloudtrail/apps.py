from __future__ import annotations

from django.urls import reverse

from playground import catalog


class CloudTrailConfig(catalog.ServiceApp):
    name = "services.cloudtrail"
    label = "cloudtrail"
    verbose_name = "CloudTrail"
    aws_services = ("cloudtrail",)
    title = "AWS CloudTrail"
    group = "Logging and monitoring"
    quotas = {"Trail": 5}  # AWS: five trails per region
    limit_errors = {"Trail": "MaximumNumberOfTrailsExceededException"}

    def gui_config(self, *, sandbox_id: int) -> dict[str, object]:
        """The trail inspector reads the trail's status and recent deliveries from the REST API's
        resource view (graph.describe); the event history through LookupEvents."""
        return {"resource": reverse("api-resource", args=[sandbox_id])}
