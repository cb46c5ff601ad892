"""What other services may use of KMS (docs/services.md: services meet through public doors).

sse              server-side encryption for a service's stored data: data keys made under a KMS
                 key, held for a reuse period, sealing and opening bodies (sse.py)
DataKey          a data key with its plaintext and ciphertext
Caller           the principal a service calls KMS for (CloudTrail records that principal's
                 identity, invokedBy the service)
KmsError         the base of KMS's errors, which a caller maps to its own (KMS.* codes)
resolve_key_arn  the ARN of the key a KmsMasterKeyId names, for the diagram's encryption edges
"""

from __future__ import annotations

from services.kms import sse
from services.kms.crypto import DataKey
from services.kms.exceptions import KmsError
from services.kms.graph import resolve_key_arn
from services.kms.sse import Caller

__all__ = ["Caller", "DataKey", "KmsError", "resolve_key_arn", "sse"]
