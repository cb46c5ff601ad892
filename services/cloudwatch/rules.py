"""The composite alarms' AlarmRule language, parsed with lark: ALARM(x), OK(x),
INSUFFICIENT_DATA(x) (x an alarm name or ARN, quoted or not), TRUE, FALSE, AND, OR, NOT and
parentheses; at most 10,240 characters (the model's limit)."""

from __future__ import annotations

from functools import lru_cache

from lark import Lark, Token, Tree
from lark.exceptions import LarkError

GRAMMAR = r"""
?start: disj
?disj: conj | disj _OR conj -> or_
?conj: neg | conj _AND neg -> and_
?neg: atom | _NOT neg -> not_
?atom: STATE "(" ref ")" -> state
     | _TRUE -> true
     | _FALSE -> false
     | "(" disj ")"
?ref: ESCAPED_STRING -> quoted
    | BARE -> bare
STATE.3: "ALARM" | "OK" | "INSUFFICIENT_DATA"
_OR.2: /OR\b/
_AND.2: /AND\b/
_NOT.2: /NOT\b/
_TRUE.2: /TRUE\b/
_FALSE.2: /FALSE\b/
BARE: /[^()"\s][^()"]*/
%import common.ESCAPED_STRING
%import common.WS
%ignore WS
"""

PARSER = Lark(GRAMMAR, parser="earley")


class RuleError(ValueError):
    pass


@lru_cache(maxsize=512)
def parse(rule: str) -> Tree[Token]:
    try:
        return PARSER.parse(rule)
    except LarkError:
        raise RuleError(f"Syntax error in AlarmRule: {rule}") from None


def _ref(tree: Tree[Token]) -> str:
    text = str(tree.children[0])
    return text[1:-1] if tree.data == "quoted" else text.strip()


def alarm_names(rule: str) -> list[str]:
    """The alarm names (or ARNs) the rule refers to, in order, once each."""
    found: list[str] = []
    for node in parse(rule).iter_subtrees_topdown():
        if node.data == "state":
            name = _ref(node.children[1])
            if name not in found:
                found.append(name)
    return found


def evaluate(rule: str, states: dict[str, str]) -> bool:
    """Whether the rule holds, given each referenced alarm's state."""

    def walk(node: Tree[Token]) -> bool:
        kind = node.data
        if kind == "state":
            return states.get(_ref(node.children[1])) == str(node.children[0])  # type: ignore[arg-type]
        if kind == "true":
            return True
        if kind == "false":
            return False
        if kind == "not_":
            return not walk(node.children[0])  # type: ignore[arg-type]
        if kind == "and_":
            return walk(node.children[0]) and walk(node.children[1])  # type: ignore[arg-type]
        if kind == "or_":
            return walk(node.children[0]) or walk(node.children[1])  # type: ignore[arg-type]
        raise RuleError(f"Unexpected {kind}")

    return walk(parse(rule))
