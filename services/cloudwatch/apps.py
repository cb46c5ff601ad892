from __future__ import annotations

from django.urls import reverse

from playground import catalog


class CloudWatchConfig(catalog.ServiceApp):
    name = "services.cloudwatch"
    label = "cloudwatch"
    verbose_name = "CloudWatch"
    aws_services = ("cloudwatch",)
    title = "Amazon CloudWatch"
    group = "Logging and monitoring"
    quotas = {"Alarm": 200, "Metric": 5000, "Dashboard": 50}
    limit_errors = {"Alarm": "LimitExceededFault", "Metric": "LimitExceededFault", "Dashboard": "LimitExceededFault"}

    def gui_config(self, *, sandbox_id: int) -> dict[str, object]:
        """The alarm inspector reads the alarm's metric, evaluated datapoints and history from the
        REST API's resource view (graph.describe)."""
        return {"resource": reverse("api-resource", args=[sandbox_id])}
