"""The matching language of lab checks."""

from __future__ import annotations

import pytest

from playground.labs.matching import MatcherError, matches, validate


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        ("30", 30),  # SQS attributes are strings
        (30, "30"),
        ("true", True),
        ({"a": 1, "b": 2}, {"a": 1}),
        ('{"deadLetterTargetArn": "arn:x", "maxReceiveCount": "3"}', {"maxReceiveCount": 3}),
        (["b", "a"], ["a", "b"]),
        (5, {"$gte": 2, "$lt": 10}),
        ("alias/app", {"$in": ["alias/app", "alias/other"]}),
        (["All"], {"$contains": "All"}),
        ("http://host/123/orders", {"$matches": "/orders$"}),
        ({"x": None}, {"x": {"$exists": False}}),
        ({}, {"x": {"$exists": False}}),
        ("x", {"$any": ["y", "x"]}),
        ("x", {"$not": "y"}),
        ([1, 2, 3], {"$length": {"$gte": 3}}),
        ('{"kind": ["physical"]}', {"$json": {"kind": ["physical"]}}),
    ],
)
def test_matches(actual: object, expected: object) -> None:
    assert matches(actual, expected)


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        ("30", 31),
        ("orders", "Orders"),
        ({"a": 1}, {"b": 1}),
        (["a"], ["a", "b"]),
        ("x", {"$gte": 1}),
        ("http://host/123/orders-dlq", {"$matches": "/orders$"}),
        ("text", {"k": 1}),
        ({"x": 1}, {"x": {"$exists": False}}),
        (True, "yes"),
    ],
)
def test_does_not_match(actual: object, expected: object) -> None:
    assert not matches(actual, expected)


def test_unknown_operators_are_found_when_the_bundle_loads() -> None:
    with pytest.raises(MatcherError, match=r"where\.a: unknown operator \$near"):
        validate({"a": {"$near": 1}}, "where")
    with pytest.raises(MatcherError, match="takes a list"):
        validate({"$any": "x"}, "where")
    with pytest.raises(MatcherError, match="matches"):
        validate({"$matches": "("}, "where")
