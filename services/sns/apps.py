from __future__ import annotations

from playground import catalog


class SnsConfig(catalog.ServiceApp):
    name = "services.sns"
    label = "sns"
    verbose_name = "SNS"
    aws_services = ("sns",)
    title = "Amazon SNS"
    group = "Application integration"
    quotas = {"Topic": 100, "Subscription": 300}
    limit_errors = {"Topic": "TopicLimitExceededException", "Subscription": "SubscriptionLimitExceededException"}
    storing_operations = frozenset({"Publish", "PublishBatch"})
    data_events = {"Publish": "AWS::SNS::Topic", "PublishBatch": "AWS::SNS::Topic"}  # as AWS logs them
