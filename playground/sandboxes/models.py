"""Sandboxes (one AWS account each), their access keys and their simulated clocks."""

from __future__ import annotations

import datetime as dt
import secrets
from functools import lru_cache

from cryptography.fernet import Fernet
from django.conf import settings
from django.db import connection, models

_KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"  # noqa: S105


@lru_cache(maxsize=1)
def _fernet() -> Fernet:
    return Fernet(settings.MASTER_KEY.encode())


def encrypt_secret(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt_secret(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def new_account_id() -> str:
    # AWS account ids never start with 0 in practice, which keeps them safe as JSON numbers too.
    return str(secrets.randbelow(9 * 10**11) + 10**11)


def new_access_key_id(prefix: str = "AKIA") -> str:
    return prefix + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))


def new_secret_access_key() -> str:
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))


def _aware(value: dt.datetime | str) -> dt.datetime:
    if isinstance(value, str):  # SQLite without Django's converters
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def wall_now() -> dt.datetime:
    """The real time. Only the Clock reads it; domain code takes `now` from a sandbox clock."""
    return dt.datetime.now(dt.UTC)


class Sandbox(models.Model):
    account_id = models.CharField(max_length=12, unique=True, default=new_account_id)
    name = models.CharField(max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="sandboxes"
    )
    default_region = models.CharField(max_length=32, default="us-east-1")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.account_id})"

    @property
    def user_name(self) -> str:
        """The IAM user name the sandbox's long-term keys belong to."""
        return self.owner.get_username() if self.owner else "playground"

    @property
    def group_name(self) -> str:
        """The Channels group that receives this sandbox's live events."""
        return f"sandbox-{self.pk}"


class AccessKey(models.Model):
    """An access key pair. Long-term keys start AKIA; STS temporary keys start ASIA.

    Both of its times are sandbox-clock times, as every time a student sees in the sandbox is:
    created_at (IAM's CreateDate) and, for a temporary key, expires_at (STS's Expiration).
    """

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="access_keys")
    access_key_id = models.CharField(max_length=20, unique=True)
    encrypted_secret = models.TextField()
    encrypted_session_token = models.TextField(blank=True, default="")
    principal_arn = models.CharField(max_length=512, blank=True, default="")
    active = models.BooleanField(default=True)
    # Sandbox-clock time at which a temporary key stops working; null for long-term keys.
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField()  # sandbox-clock time

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.access_key_id

    @property
    def secret_access_key(self) -> str:
        return decrypt_secret(self.encrypted_secret)

    @property
    def session_token(self) -> str:
        return decrypt_secret(self.encrypted_session_token) if self.encrypted_session_token else ""

    @property
    def is_temporary(self) -> bool:
        return self.access_key_id.startswith("ASIA")

    @classmethod
    def issue(
        cls,
        *,
        sandbox: Sandbox,
        now: dt.datetime,
        temporary: bool = False,
        principal_arn: str = "",
        expires_at: dt.datetime | None = None,
        secret: str | None = None,
        min_token_size: int = 0,
    ) -> tuple[AccessKey, str]:
        """Create a key at sandbox time `now`; returns it with its plaintext secret (shown once, then
        only decrypted to verify). A temporary key's session token is at least `min_token_size`
        characters long (STS's MinimumSessionTokenSize)."""
        plaintext = secret or new_secret_access_key()
        token = secrets.token_urlsafe(max(96, -(-min_token_size * 3 // 4))) if temporary else ""
        key = cls.objects.create(
            sandbox=sandbox,
            access_key_id=new_access_key_id("ASIA" if temporary else "AKIA"),
            encrypted_secret=encrypt_secret(plaintext),
            encrypted_session_token=encrypt_secret(token) if token else "",
            principal_arn=principal_arn,
            expires_at=expires_at,
            created_at=now,
        )
        return key, plaintext


class Clock(models.Model):
    """The sandbox's simulated time.

    now = base_time + (wall - wall_base) * speed, or base_time while paused. Every change rebases
    (base_time = now, wall_base = wall) so that speed changes and pauses never jump the clock.
    """

    sandbox = models.OneToOneField(Sandbox, on_delete=models.CASCADE, related_name="clock")
    base_time = models.DateTimeField(default=wall_now)
    wall_base = models.DateTimeField(default=wall_now)
    speed = models.FloatField(default=1.0)
    paused = models.BooleanField(default=False)

    MAX_SPEED = 3600.0

    def __str__(self) -> str:
        return f"{self.now().isoformat()} x{self.speed:g}{' (paused)' if self.paused else ''}"

    @classmethod
    def current(cls, sandbox_id: int) -> Clock:
        """The sandbox's clock, read with one plain SELECT: every AWS call does this, and the ORM's
        query building would cost more than the query."""
        table = connection.ops.quote_name(cls._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, base_time, wall_base, speed, paused FROM {table} WHERE sandbox_id = %s",  # noqa: S608
                [sandbox_id],
            )
            row = cursor.fetchone()
        if row is None:
            raise cls.DoesNotExist(f"sandbox {sandbox_id} has no clock")
        pk, base_time, wall_base, speed, paused = row
        return cls(
            id=pk, sandbox_id=sandbox_id, base_time=_aware(base_time), wall_base=_aware(wall_base),
            speed=speed, paused=bool(paused),
        )  # fmt: skip

    def now(self, wall: dt.datetime | None = None) -> dt.datetime:
        if self.paused:
            return self.base_time
        elapsed = ((wall or wall_now()) - self.wall_base) * self.speed
        return self.base_time + elapsed

    def _rebase(self) -> None:
        wall = wall_now()
        self.base_time = self.now(wall)
        self.wall_base = wall

    def pause(self) -> None:
        self._rebase()
        self.paused = True
        self.save()

    def resume(self) -> None:
        self._rebase()
        self.paused = False
        self.save()

    def set_speed(self, speed: float) -> None:
        if not 0 < speed <= self.MAX_SPEED:
            raise ValueError(f"speed must be greater than 0 and at most {self.MAX_SPEED:g}")
        self._rebase()
        self.speed = speed
        self.save()

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._rebase()
        self.base_time += dt.timedelta(seconds=seconds)
        self.save()

    def as_dict(self) -> dict[str, object]:
        """The clock as pages and the REST API show it. `changed` (the wall time of the last change,
        which every change moves forward) orders answers: a page drops a clock read before one it
        already has, which a slow read can otherwise overwrite it with."""
        changed = self.wall_base.astimezone(dt.UTC).isoformat(timespec="microseconds")
        return {"now": self.now().isoformat(), "speed": self.speed, "paused": self.paused, "changed": changed}


class DueTimer(models.Model):
    """A one-off piece of due work at a sandbox-clock time, run by the handler registered for its kind."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="timers")
    due_at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["sandbox", "due_at"])]

    def __str__(self) -> str:
        return f"{self.kind} at {self.due_at.isoformat()}"
