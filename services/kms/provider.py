"""KMS: provider arriving with its issue."""
