"""What each key spec is and may do: its usages, its algorithms, the sizes AWS documents.

The tables are facts from the AWS KMS documentation (key spec reference, Encrypt, Sign,
GenerateMac, DeriveSharedSecret); the other modules only look things up here.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes

SYMMETRIC_DEFAULT = "SYMMETRIC_DEFAULT"

ENCRYPT_DECRYPT = "ENCRYPT_DECRYPT"
SIGN_VERIFY = "SIGN_VERIFY"
GENERATE_VERIFY_MAC = "GENERATE_VERIFY_MAC"
KEY_AGREEMENT = "KEY_AGREEMENT"


@dataclass(frozen=True)
class KeySpecInfo:
    name: str
    family: str  # "symmetric" | "hmac" | "rsa" | "ecc"
    usages: tuple[str, ...]  # allowed KeyUsage values, the first one is the default
    size: int = 0  # RSA modulus bits, HMAC key bytes, 32 for AES-256
    curve: str = ""  # ECC: the cryptography curve class name


KEY_SPECS: dict[str, KeySpecInfo] = {
    spec.name: spec
    for spec in [
        KeySpecInfo(SYMMETRIC_DEFAULT, "symmetric", (ENCRYPT_DECRYPT,), 32),
        KeySpecInfo("HMAC_224", "hmac", (GENERATE_VERIFY_MAC,), 28),
        KeySpecInfo("HMAC_256", "hmac", (GENERATE_VERIFY_MAC,), 32),
        KeySpecInfo("HMAC_384", "hmac", (GENERATE_VERIFY_MAC,), 48),
        KeySpecInfo("HMAC_512", "hmac", (GENERATE_VERIFY_MAC,), 64),
        KeySpecInfo("RSA_2048", "rsa", (ENCRYPT_DECRYPT, SIGN_VERIFY), 2048),
        KeySpecInfo("RSA_3072", "rsa", (ENCRYPT_DECRYPT, SIGN_VERIFY), 3072),
        KeySpecInfo("RSA_4096", "rsa", (ENCRYPT_DECRYPT, SIGN_VERIFY), 4096),
        KeySpecInfo("ECC_NIST_P256", "ecc", (SIGN_VERIFY, KEY_AGREEMENT), curve="SECP256R1"),
        KeySpecInfo("ECC_NIST_P384", "ecc", (SIGN_VERIFY, KEY_AGREEMENT), curve="SECP384R1"),
        KeySpecInfo("ECC_NIST_P521", "ecc", (SIGN_VERIFY, KEY_AGREEMENT), curve="SECP521R1"),
        KeySpecInfo("ECC_SECG_P256K1", "ecc", (SIGN_VERIFY,), curve="SECP256K1"),
    ]
}

# Data key pairs (GenerateDataKeyPair) come in the asymmetric specs.
DATA_KEY_PAIR_SPECS = tuple(name for name, spec in KEY_SPECS.items() if spec.family in ("rsa", "ecc"))

# RSA encryption: OAEP with SHA-1 or SHA-256 (MGF1 with the same hash).
RSA_ENCRYPTION: dict[str, type[hashes.SHA1] | type[hashes.SHA256]] = {
    "RSAES_OAEP_SHA_1": hashes.SHA1,
    "RSAES_OAEP_SHA_256": hashes.SHA256,
}


# Largest plaintext RSA-OAEP takes: modulus bytes - 2 * hash bytes - 2.
def rsa_max_plaintext(bits: int, algorithm: str) -> int:
    digest = RSA_ENCRYPTION[algorithm]().digest_size
    return bits // 8 - 2 * digest - 2


@dataclass(frozen=True)
class SigningAlgorithm:
    name: str
    family: str  # "pss" | "pkcs1" | "ecdsa"
    hash: type[hashes.HashAlgorithm]


SIGNING_ALGORITHMS: dict[str, SigningAlgorithm] = {
    algorithm.name: algorithm
    for algorithm in [
        SigningAlgorithm("RSASSA_PSS_SHA_256", "pss", hashes.SHA256),
        SigningAlgorithm("RSASSA_PSS_SHA_384", "pss", hashes.SHA384),
        SigningAlgorithm("RSASSA_PSS_SHA_512", "pss", hashes.SHA512),
        SigningAlgorithm("RSASSA_PKCS1_V1_5_SHA_256", "pkcs1", hashes.SHA256),
        SigningAlgorithm("RSASSA_PKCS1_V1_5_SHA_384", "pkcs1", hashes.SHA384),
        SigningAlgorithm("RSASSA_PKCS1_V1_5_SHA_512", "pkcs1", hashes.SHA512),
        SigningAlgorithm("ECDSA_SHA_256", "ecdsa", hashes.SHA256),
        SigningAlgorithm("ECDSA_SHA_384", "ecdsa", hashes.SHA384),
        SigningAlgorithm("ECDSA_SHA_512", "ecdsa", hashes.SHA512),
    ]
}

MAC_ALGORITHMS: dict[str, type[hashes.HashAlgorithm]] = {
    "HMAC_SHA_224": hashes.SHA224,
    "HMAC_SHA_256": hashes.SHA256,
    "HMAC_SHA_384": hashes.SHA384,
    "HMAC_SHA_512": hashes.SHA512,
}

_ECDSA_FOR_CURVE = {
    "ECC_NIST_P256": "ECDSA_SHA_256",
    "ECC_NIST_P384": "ECDSA_SHA_384",
    "ECC_NIST_P521": "ECDSA_SHA_512",
    "ECC_SECG_P256K1": "ECDSA_SHA_256",
}

# Key specs AWS has that Playground does not make (their algorithms are not in `cryptography`,
# or the spec exists only in the China Regions).
UNSUPPORTED_KEY_SPECS = frozenset(
    {"SM2", "ML_DSA_44", "ML_DSA_65", "ML_DSA_87", "ECC_NIST_EDWARDS25519", "ML_KEM_512", "ML_KEM_768", "ML_KEM_1024"}
)


def encryption_algorithms(spec: str, usage: str) -> list[str]:
    if usage != ENCRYPT_DECRYPT:
        return []
    if spec == SYMMETRIC_DEFAULT:
        return [SYMMETRIC_DEFAULT]
    return list(RSA_ENCRYPTION)


def signing_algorithms(spec: str, usage: str) -> list[str]:
    if usage != SIGN_VERIFY:
        return []
    info = KEY_SPECS[spec]
    if info.family == "rsa":
        return [name for name, algorithm in SIGNING_ALGORITHMS.items() if algorithm.family != "ecdsa"]
    return [_ECDSA_FOR_CURVE[spec]]


def mac_algorithms(spec: str, usage: str) -> list[str]:
    if usage != GENERATE_VERIFY_MAC:
        return []
    return [f"HMAC_SHA_{spec.split('_')[1]}"]


def key_agreement_algorithms(spec: str, usage: str) -> list[str]:
    return ["ECDH"] if usage == KEY_AGREEMENT else []
