from django.apps import AppConfig


class GatewayConfig(AppConfig):
    name = "playground.gateway"

    def ready(self) -> None:
        from playground.gateway.quotas import connect_resource_quotas

        connect_resource_quotas()
