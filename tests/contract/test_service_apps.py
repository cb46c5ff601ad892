"""Every service app keeps the service contract (docs/services.md), and the platform names none.

These read the installed apps and the source tree; what each part does is tested through the
AWS API, the REST API and the browser elsewhere.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def _apps() -> list:
    from playground.catalog import service_apps

    return service_apps()


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return found


def test_every_folder_under_services_is_an_installed_service_app() -> None:
    folders = {path.parent.name for path in (ROOT / "services").glob("*/apps.py")}
    assert {app.label for app in _apps()} == folders
    for app in _apps():
        assert app.name == f"services.{app.label}"
        assert app.aws_services, f"{app.name} answers no AWS API"


def test_the_platform_imports_no_service() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in (ROOT / "playground").rglob("*.py")
        for line, module in _imports(path)
        if module == "services" or module.startswith("services.")
    ]
    assert offenders == []


def test_services_meet_only_through_public_doors() -> None:
    offenders = []
    for app in _apps():
        for path in Path(app.path).rglob("*.py"):
            for line, module in _imports(path):
                parts = module.split(".")
                if parts[0] != "services" or len(parts) < 2 or parts[1] == app.label:
                    continue
                if parts[2:3] != ["public"]:
                    offenders.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert offenders == []


def test_each_app_names_real_apis_groups_and_models() -> None:
    from django.apps import apps

    from playground.catalog import GROUPS
    from playground.gateway.protocols._errors import modeled_error
    from playground.gateway.specs import service_model

    for app in _apps():
        assert app.title, app.name
        assert app.group in (*GROUPS, ""), app.name
        models = [service_model(name) for name in app.aws_services]
        operations = {name for model in models for name in model.operation_names}
        assert app.storing_operations <= operations, app.name
        for model_name, limit in app.quotas.items():
            apps.get_model(app.label, model_name)
            assert limit > 0
        for model_name, field in app.stored_payloads.items():
            model = apps.get_model(app.label, model_name)
            model._meta.get_field(field)
            model._meta.get_field("sandbox")  # the stored-bytes quota sums by sandbox_id
        for model_name, shape in app.limit_errors.items():
            apps.get_model(app.label, model_name)
            assert any(modeled_error(model, shape) for model in models), f"{app.name}: no error shape {shape}"


def test_graph_modules_have_the_one_signature() -> None:
    from playground.catalog import with_module

    drawn = list(with_module("graph"))
    assert {app.label for app, _ in drawn} >= {"sqs", "sns", "kms"}
    for app, module in drawn:
        for name, keywords in (("graph", ["sandbox", "now", "region"]), ("describe", ["sandbox", "arn", "now"])):
            function = getattr(module, name, None)
            assert function is not None, f"{app.name}.graph has no {name}()"
            parameters = inspect.signature(function).parameters.values()
            assert [p.name for p in parameters] == keywords, f"{app.name}.graph.{name}"
            assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters), f"{app.name}.graph.{name}"


def test_due_work_is_named_after_its_service_and_due_by_an_indexed_column() -> None:
    from playground.sandboxes import duework

    for name, registration in duework._handlers.items():
        module = registration.handler.__module__
        if module.startswith("services."):
            label = module.split(".")[1]
            assert name.startswith(f"{label}."), f"{module}: due work {name!r} is not named {label}.*"
        meta = registration.rows().model._meta
        indexed = meta.get_field(registration.at).db_index or any(registration.at in ix.fields for ix in meta.indexes)
        assert indexed, f"due work {name}: the tick reads {registration.at}, which no index holds"
    for kind, handler in duework._timer_handlers.items():
        if handler.__module__.startswith("services."):
            assert kind.startswith(handler.__module__.split(".")[1] + "."), kind
