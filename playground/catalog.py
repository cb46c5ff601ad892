"""The service contract: how an emulated AWS service plugs into the platform (docs/services.md).

Every folder `services/<svc>/` with an `apps.py` is a service app, found by `discover()` (which
settings.py calls) and installed like any Django app. Its AppConfig subclasses `ServiceApp` and
declares what the platform needs to know; everything else is found by module name:

    services/<svc>/apps.py        a catalog.ServiceApp subclass (import the module, not the class, so
                                  Django finds one AppConfig there): aws_services, title, group ...
    services/<svc>/provider.py    one Provider per AWS API, registered with @register
    services/<svc>/models.py      state, each row with a foreign key to Sandbox
    services/<svc>/exceptions.py  AwsError subclasses named after the model's error shapes
    services/<svc>/graph.py       graph(*, sandbox, now, region) and describe(*, sandbox, arn, now)
    services/<svc>/events.py      the live event types it publishes (optional)
    services/<svc>/tasks.py       due work on the sandbox clock and Celery tasks (optional)
    services/<svc>/reset.py       reset(*, sandbox): what a reset does besides deleting rows (optional)
    services/<svc>/public.py      the functions other services may call (optional)
    services/<svc>/urls.py        pages it serves itself, mounted at /<svc>/ (optional)
    services/<svc>/static/services/<svc>/gui.js   its diagram kinds, palette entry, inspector (optional)

The platform imports no service by name: it asks this module.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import ClassVar

from django.apps import AppConfig, apps

LOG = logging.getLogger(__name__)

SERVICES_PACKAGE = "services"

# The palette's groups, in the order the course presents them.
GROUPS: tuple[str, ...] = (
    "Application integration",
    "Analytics",
    "Logging and monitoring",
    "Operations",
    "Deployment",
    "Storage and compute",
)

# Modules imported when the app is ready, so that what they register (providers, due work, event
# types, deliverers) is registered in every process: web, worker and management commands.
READY_MODULES: tuple[str, ...] = ("provider", "events", "tasks")


def discover(base_dir: Path) -> list[str]:
    """The dotted names of the service apps under base_dir/services, in name order (settings.py
    adds them to INSTALLED_APPS; nothing is imported here)."""
    root = base_dir / SERVICES_PACKAGE
    return sorted(
        f"{SERVICES_PACKAGE}.{folder.name}"
        for folder in root.iterdir()
        if folder.is_dir() and (folder / "apps.py").is_file() and not folder.name.startswith(("_", "."))
    )


class ServiceApp(AppConfig):
    """The AppConfig of a service app. Class attributes a subclass sets:

    aws_services    the botocore service names whose operations it answers ("sqs"; Redshift
                    would answer ("redshift", "redshift-data"))
    arn_services    the service part of its resources' ARNs, when not the same as aws_services
                    (EMR's ARNs say "elasticmapreduce")
    title           what the GUI calls the service ("Amazon SQS")
    group           its palette group, one of GROUPS ("" for a service with nothing to draw)
    quotas          {model name: rows per sandbox} in a classroom (strict mode) unless
                    PLAYGROUND_QUOTA_RESOURCES says otherwise
    limit_errors    {model name: error shape} for creating one row too many, where the model
                    names a more specific error than OverLimit / LimitExceededException
    stored_payloads {model name: size field}: rows counted by the stored-bytes quota
    storing_operations  operations that store a payload (checked against that quota first)
    data_events     {operation: resource type} for the operations AWS's activity log counts as data
                    events (on the data plane: S3's object reads and writes, SQS's messages,
                    "AWS::S3::Object"); every other operation is a management event
    """

    aws_services: ClassVar[tuple[str, ...]] = ()
    arn_services: ClassVar[tuple[str, ...]] = ()
    title: ClassVar[str] = ""
    group: ClassVar[str] = ""
    quotas: ClassVar[dict[str, int]] = {}
    limit_errors: ClassVar[dict[str, str]] = {}
    stored_payloads: ClassVar[dict[str, str]] = {}
    storing_operations: ClassVar[frozenset[str]] = frozenset()
    data_events: ClassVar[dict[str, str]] = {}

    def ready(self) -> None:
        if self.group and self.group not in GROUPS:
            raise ValueError(f"{self.name}: group {self.group!r} is not one of {GROUPS}")
        for name in READY_MODULES:
            self.module_named(name)

    def module_named(self, name: str) -> ModuleType | None:
        """services.<svc>.<name>, or None when the app has no such module."""
        dotted = f"{self.name}.{name}"
        try:
            return importlib.import_module(dotted)
        except ModuleNotFoundError as missing:
            if missing.name != dotted:
                raise  # the module exists but something it imports does not
            return None

    def arn_namespaces(self) -> tuple[str, ...]:
        """The service parts of the ARNs of this app's resources."""
        return self.arn_services or self.aws_services

    def has_urls(self) -> bool:
        """Whether the app serves pages of its own (services/<svc>/urls.py, mounted at /<svc>/)."""
        return (Path(self.path) / "urls.py").is_file()

    def gui_module(self) -> str | None:
        """The URL of the app's GUI module (static/services/<svc>/gui.js), when it has one."""
        from django.contrib.staticfiles import finders
        from django.templatetags.static import static

        path = f"{SERVICES_PACKAGE}/{self.label}/gui.js"
        return static(path) if finders.find(path) else None

    def gui_config(self, *, sandbox_id: int) -> dict[str, object]:
        """What the GUI module needs from the server for one sandbox (URLs of the app's own views)."""
        return {}


def service_apps() -> list[ServiceApp]:
    """Every installed service app, in name order."""
    return sorted((app for app in apps.get_app_configs() if isinstance(app, ServiceApp)), key=lambda app: app.label)


def service_app(label: str) -> ServiceApp | None:
    app = next((app for app in service_apps() if app.label == label), None)
    return app


def with_module(name: str) -> Iterator[tuple[ServiceApp, ModuleType]]:
    """(app, module) for every service app that has services.<svc>.<name>."""
    for app in service_apps():
        module = app.module_named(name)
        if module is not None:
            yield app, module


@cache
def aws_services() -> dict[str, ServiceApp]:
    """botocore service name -> the app that answers it."""
    found: dict[str, ServiceApp] = {}
    for app in service_apps():
        for name in app.aws_services:
            if name in found:
                raise ValueError(f"{name} is answered by both {found[name].name} and {app.name}")
            found[name] = app
    return found
