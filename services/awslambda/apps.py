from __future__ import annotations

from django.urls import reverse

from playground import catalog


class AwsLambdaConfig(catalog.ServiceApp):
    # The package cannot be called `lambda` (a Python keyword); the API is botocore's "lambda".
    name = "services.awslambda"
    label = "awslambda"
    verbose_name = "Lambda"
    aws_services = ("lambda",)
    title = "AWS Lambda"
    group = "Storage and compute"
    quotas = {"Function": 50, "EventSourceMapping": 50}
    stored_payloads = {"Function": "code_size"}
    storing_operations = frozenset({"CreateFunction", "UpdateFunctionCode"})

    def gui_config(self, *, sandbox_id: int) -> dict[str, object]:
        """The function inspector reads the function's code, configuration and recent invocations
        from the REST API's resource view (graph.describe) and runs test events through Invoke."""
        return {
            "resource": reverse("api-resource", args=[sandbox_id]),
            "package": reverse("awslambda:package", args=[sandbox_id]),
        }
