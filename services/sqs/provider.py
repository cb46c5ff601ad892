"""SQS: provider arriving with its issue."""
