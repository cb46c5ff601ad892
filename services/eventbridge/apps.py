from __future__ import annotations

from django.urls import reverse

from playground import catalog


class EventBridgeConfig(catalog.ServiceApp):
    name = "services.eventbridge"
    label = "eventbridge"
    verbose_name = "EventBridge"
    aws_services = ("events",)
    title = "Amazon EventBridge"
    group = "Application integration"
    quotas = {"EventBus": 100, "Rule": 300, "Archive": 50, "Replay": 100}
    stored_payloads = {"ArchivedEvent": "size"}
    storing_operations = frozenset()

    def gui_config(self, *, sandbox_id: int) -> dict[str, object]:
        """The rule inspector reads the rule's targets from the REST API's resource view
        (graph.describe); its pattern tester calls TestEventPattern through the API's /aws/ door."""
        return {"resource": reverse("api-resource", args=[sandbox_id])}
