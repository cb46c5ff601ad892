"""Lab bundles: the shipped ones load, and a broken one says what is wrong and where."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from playground.labs.bundles import BundleInvalid, load_folder, parse_bundle

LABS = Path(__file__).resolve().parents[2] / "labs"

MINIMAL: dict[str, Any] = {
    "id": "tiny",
    "title": "Tiny",
    "steps": [
        {
            "title": "One",
            "instructions": "Do it.",
            "checks": [{"kind": "call", "service": "sts", "operation": "GetCallerIdentity"}],
        }
    ],
}


@pytest.mark.parametrize("name", sorted(path.name for path in LABS.iterdir() if path.is_dir()))
def test_shipped_bundles_load(name: str) -> None:
    lab = load_folder(LABS / name)
    assert lab.id == name
    assert lab.steps
    assert lab.max_score > 0
    assert all(step.instructions.strip() for step in lab.steps)
    assert all(step.solve for step in lab.steps), "every shipped step can be solved"


def test_a_minimal_bundle_gets_defaults() -> None:
    lab = parse_bundle(MINIMAL)
    [step] = lab.steps
    assert (step.id, step.max_score, step.checks[0].id) == ("step-1", 1, "check-1")
    assert step.checks[0].message == "No successful sts:GetCallerIdentity call was found yet."


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda b: b.update(id="Not Valid"), "lab: `id` has lower-case letters"),
        (lambda b: b.update(colour="red"), "lab: unknown field(s) colour"),
        (lambda b: b["steps"][0].update(checks=[]), "step step-1: a step has at least one check"),
        (lambda b: b["steps"][0]["checks"][0].update(kind="magic"), "`kind` is one of"),
        (lambda b: b["steps"][0]["checks"][0].update(points=-1), "points is a whole number"),
        (lambda b: b["steps"][0]["checks"][0].update(service="nope"), "unknown AWS service 'nope'"),
        (lambda b: b["steps"][0].update(solve=[{"advance_clock": -1}]), "advance_clock takes seconds"),
        (lambda b: b["steps"][0].update(solve=[{"call": "sts:GetCallerIdentity", "save": {"x": "[["}}]), "save.x"),
        (
            lambda b: b["steps"][0].update(instructions_file="../../etc/passwd"),
            "instructions_file works for bundles in folders",
        ),
        (lambda b: b["steps"].extend([{**b["steps"][0], "id": "a"}, {**b["steps"][0], "id": "a"}]), "a is used twice"),
    ],
)
def test_broken_bundles_say_what_is_wrong(change: Any, complaint: str) -> None:
    document = copy.deepcopy(MINIMAL)
    change(document)
    with pytest.raises(BundleInvalid) as refused:
        parse_bundle(document)
    assert complaint in refused.value.message


def test_instructions_files_stay_inside_the_bundle(tmp_path: Path) -> None:
    (tmp_path / "lab.json").write_text(
        '{"id": "escape", "title": "x", "steps": [{"title": "x", "instructions_file": "../secret.md", '
        '"checks": [{"kind": "event", "type": "flow"}]}]}'
    )
    (tmp_path.parent / "secret.md").write_text("no")
    with pytest.raises(BundleInvalid, match=r"no file \.\./secret\.md"):
        load_folder(tmp_path)
