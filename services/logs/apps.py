from __future__ import annotations

from django.urls import reverse

from playground import catalog


class LogsConfig(catalog.ServiceApp):
    name = "services.logs"
    label = "logs"
    verbose_name = "CloudWatch Logs"
    aws_services = ("logs",)
    title = "Amazon CloudWatch Logs"
    group = "Logging and monitoring"
    quotas = {"LogGroup": 200, "LogStream": 2000, "MetricFilter": 500, "SubscriptionFilter": 100}
    stored_payloads = {"LogChunk": "size"}
    storing_operations = frozenset({"PutLogEvents"})

    def gui_config(self, *, sandbox_id: int) -> dict[str, object]:
        """The log group inspector reads the group's streams, newest events and filters from the
        REST API's resource view (graph.describe), and the live tail from the app's tail view."""
        return {"resource": reverse("api-resource", args=[sandbox_id]), "tail": reverse("logs:tail", args=[sandbox_id])}
