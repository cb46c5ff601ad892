"""Domain functions for sandboxes, keys and clocks. The AWS gateway, the GUI, the REST API and the
management commands all call these."""

from __future__ import annotations

import logging

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, OperationalError, models, transaction

from playground.catalog import with_module
from playground.sandboxes.duework import run_due_work, run_due_work_everywhere
from playground.sandboxes.models import AccessKey, Clock, DueTimer, Sandbox
from playground.sandboxes.signals import clock_changed, sandbox_was_reset

LOG = logging.getLogger(__name__)

# Rows that make up the sandbox itself rather than its service state; a reset keeps them.
_PLATFORM_MODELS = (AccessKey, Clock)


@transaction.atomic
def sandbox_create(
    *,
    name: str,
    owner: AbstractBaseUser | None = None,
    account_id: str | None = None,
    region: str | None = None,
) -> tuple[Sandbox, AccessKey, str]:
    """A new sandbox with its clock and one access key; returns the key's secret once."""
    fields: dict[str, object] = {"name": name, "owner": owner}
    if account_id:
        if not (len(account_id) == 12 and account_id.isdigit()):
            raise ValueError("an account id is 12 digits")
        fields["account_id"] = account_id
    fields["default_region"] = region or settings.PLAYGROUND_DEFAULT_REGION
    sandbox = Sandbox.objects.create(**fields)
    clock = Clock.objects.create(sandbox=sandbox)
    key, secret = AccessKey.issue(sandbox=sandbox, now=clock.now())
    return sandbox, key, secret


def default_sandbox() -> Sandbox:
    """The sandbox open-mode requests land in when their key names no other: the oldest one."""
    sandbox = Sandbox.objects.select_related("clock").order_by("id").first()
    if sandbox is None:
        sandbox, _, _ = sandbox_create(name="default")
    return sandbox


def sandbox_for_account(account_id: str) -> Sandbox:
    """Open mode: a 12-digit access key id picks that account, created on first use."""
    sandbox = Sandbox.objects.select_related("clock").filter(account_id=account_id).first()
    if sandbox is None:
        with transaction.atomic():
            sandbox = Sandbox.objects.select_for_update().filter(account_id=account_id).first()
            if sandbox is None:
                sandbox, _, _ = sandbox_create(name=f"account {account_id}", account_id=account_id)
    return sandbox


def service_state_models() -> list[type[models.Model]]:
    """Every model that holds a sandbox's service state: those with a foreign key to Sandbox, except
    the platform's own rows and models that declare `survives_reset = True` (a classroom
    enrollment, lab progress, the numbering of live events)."""
    found = []
    for model in apps.get_models():
        if model in _PLATFORM_MODELS or model is Sandbox or getattr(model, "survives_reset", False):
            continue
        if any(isinstance(field, models.ForeignKey) and field.related_model is Sandbox for field in model._meta.fields):
            found.append(model)
    return found


def sandbox_delete(*, sandbox: Sandbox) -> None:
    """Delete the sandbox with everything in it, in a transaction of its own. The service apps'
    reset.py hooks run first, for what rows do not hold (S3's object bytes on disk).

    Rows of the sandbox are also written behind the answers (the call log, metrics), and
    PostgreSQL checks a new row's sandbox when that row's transaction commits. So the sandbox's
    row is locked first: a writer that committed before the lock is in what the delete gathers,
    and one that commits after waits for the delete and then fails on its own (the sandbox is
    gone). A writer that holds a row the delete must remove while it waits for the lock ends in a
    deadlock PostgreSQL breaks by failing one side; when that side is the delete, it runs again."""
    for attempt in range(3):
        try:
            with transaction.atomic():
                list(Sandbox.objects.select_for_update().filter(pk=sandbox.pk).values_list("pk", flat=True))
                for _app, module in with_module("reset"):
                    module.reset(sandbox=sandbox)
                sandbox.delete()
            return
        except (IntegrityError, OperationalError):
            if attempt == 2:
                raise


def sandbox_reset(*, sandbox: Sandbox) -> None:
    """Delete all of the sandbox's service state; its keys and clock stay. A service app's
    reset.py runs first, for what rows do not hold (files on disk, processes)."""
    for _app, module in with_module("reset"):
        module.reset(sandbox=sandbox)
    for model in service_state_models():
        model._default_manager.filter(sandbox=sandbox).delete()
    sandbox_was_reset.send(sender=Sandbox, sandbox=sandbox, now=sandbox.clock.now())


def _after_clock_change(sandbox: Sandbox, clock: Clock) -> None:
    clock_changed.send(sender=Sandbox, sandbox=sandbox, clock=clock)


def _locked_clock(sandbox: Sandbox) -> Clock:
    return Clock.objects.select_for_update().get(sandbox=sandbox)


def clock_pause(*, sandbox: Sandbox) -> Clock:
    with transaction.atomic():
        clock = _locked_clock(sandbox)
        clock.pause()
        _after_clock_change(sandbox, clock)
    return clock


def clock_resume(*, sandbox: Sandbox) -> Clock:
    with transaction.atomic():
        clock = _locked_clock(sandbox)
        clock.resume()
        _after_clock_change(sandbox, clock)
    return clock


def clock_set_speed(*, sandbox: Sandbox, speed: float) -> Clock:
    with transaction.atomic():
        clock = _locked_clock(sandbox)
        clock.set_speed(speed)
        _after_clock_change(sandbox, clock)
    return clock


def clock_advance(*, sandbox: Sandbox, seconds: float) -> Clock:
    """Move the sandbox's time forward and run the work that became due, before returning."""
    with transaction.atomic():
        clock = _locked_clock(sandbox)
        clock.advance(seconds)
        _after_clock_change(sandbox, clock)
    run_due_work(sandbox, clock.now())
    return clock


def tick_all() -> int:
    """Run due work for every sandbox on its own clock; returns how many sandboxes there are."""
    clocks = {sandbox.pk: (sandbox, sandbox.clock.now()) for sandbox in Sandbox.objects.select_related("clock")}
    run_due_work_everywhere(clocks)
    return len(clocks)


__all__ = [
    "DueTimer",
    "clock_advance",
    "clock_pause",
    "clock_resume",
    "clock_set_speed",
    "default_sandbox",
    "sandbox_create",
    "sandbox_for_account",
    "sandbox_reset",
    "tick_all",
]
