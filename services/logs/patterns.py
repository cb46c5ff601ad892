"""The filter-pattern language of CloudWatch Logs, one engine for FilterLogEvents, metric filters,
subscription filters, TestMetricFilter and the diagram's live tail.

    compile_pattern(text) -> Pattern       parse once (pyparsing grammars below); PatternError if
                                           the text does not parse, with the reason
    pattern.match(message) -> Match | None  whether an event's message matches, and the fields it
                                           named ($.a.b of a JSON event, the named words of a
                                           space-delimited one) for metric values and dimensions

Three forms, chosen by the pattern's first character, as AWS chooses them:

- terms: `ERROR`, `"exact phrase"`, `ERROR Exception` (all), `?ERROR ?WARN` (any: only when every
  term has `?`; beside plain terms a `?` term is ignored, as AWS ignores it), `-term` and
  `-"phrase"` (must not appear), `%regex%`. Terms are case-sensitive substrings of the message.
- JSON: `{ $.a.b[0] = "x*" && ($.n > 5 || $.f IS TRUE) }` with = != < > <= >=, IS NULL, NOT EXISTS,
  IS TRUE, IS FALSE, `*` wildcards in string values, `%regex%` values, `*` as a key or index of a
  selector (any member; at most one per selector and three per pattern). && binds tighter than ||.
  Only an event whose message is a JSON object can match.
- space-delimited: `[ip, user, ..., status = 4* || status = 5*, bytes > 1000]`: the message is split
  on spaces, text in "..." or [...] being one word; `...` stands for any number of words; a named
  word may carry conditions joined by && and ||, each on that word's own name.

Regular expressions (`%...%`) take AWS's subset: letters, digits, spaces, the symbols
`: _ # = @ / ; , -` and the operators `^ $ ? [ ] { } | \\ * + .`; no parentheses, no multibyte
characters, at most two in one pattern.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyparsing as pp

MAX_REGEXES = 2
MAX_SELECTOR_WILDCARDS = 1
MAX_PATTERN_WILDCARDS = 3
_ABSENT = object()


class PatternError(ValueError):
    """The pattern does not parse, or breaks one of the language's rules."""


@dataclass
class Match:
    """A matching event's named values: "$.a.b" for JSON selectors, "$name" for delimited words."""

    fields: dict[str, Any] = field(default_factory=dict)

    def value(self, name: str, message: str) -> Any:
        """The value a metric transformation's `$...` names, read from the event when the pattern
        did not name it (a metric value `$.latency` with a pattern on other fields)."""
        if name in self.fields:
            return self.fields[name]
        if name.startswith("$."):
            document = _json_object(message)
            if document is None:
                return None
            found = _select(document, _parse_selector(name))
            return None if found is _ABSENT else found
        return None


@dataclass
class Pattern:
    text: str
    kind: str  # "all", "terms", "json", "delimited"
    test: Callable[[str], Match | None]
    names: frozenset[str] = frozenset()  # the `$...` names it can supply
    # Text every matching message contains (whatever its case): readers narrow the rows they
    # fetch with it before matching each one (ingest.scan), which is what makes a search of
    # 100,000 events fast. Never more than the pattern demands.
    required: tuple[str, ...] = ()

    def match(self, message: str) -> Match | None:
        return self.test(message)

    def matches(self, message: str) -> bool:
        return self.test(message) is not None


# --- regular expressions ------------------------------------------------------------------------

_REGEX_ALLOWED = re.compile(r"[A-Za-z0-9 :_#=@/;,\-^$?\[\]{}|*+.]")


def _compile_regex(body: str) -> re.Pattern[str]:
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\":
            if index + 1 >= len(body) or not body[index + 1].isascii():
                raise PatternError(f"Invalid regular expression: %{body}%")
            index += 2
            continue
        if not _REGEX_ALLOWED.fullmatch(char):
            raise PatternError(f"Invalid character(s) in regular expression: %{body}%")
        index += 1
    if not body:
        raise PatternError("Empty regular expression")
    try:
        return re.compile(body)
    except re.error as problem:
        raise PatternError(f"Invalid regular expression: %{body}% ({problem})") from None


# --- shared tokens ------------------------------------------------------------------------------

_QUOTED = pp.QuotedString('"', esc_char="\\", unquote_results=True)
_REGEX = pp.Regex(r"%(?:[^%\\]|\\.)*%")


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _string_equal(candidate: str, literal: str) -> bool:
    if "*" not in literal:
        return candidate == literal
    return re.fullmatch("(?s:" + ".*".join(re.escape(part) for part in literal.split("*")) + ")", candidate) is not None


# --- the terms form -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Term:
    prefix: str  # "", "?", "-"
    text: str
    regex: re.Pattern[str] | None

    def found(self, message: str) -> bool:
        if self.regex is not None:
            return self.regex.search(message) is not None
        return self.text in message


_BARE_TERM = pp.Regex(r'[^\s"]+')
_TERM = pp.Opt(pp.one_of("? -"), default="") + (_QUOTED("quoted") | _REGEX("regex") | _BARE_TERM("bare"))
_TERMS = pp.ZeroOrMore(pp.Group(_TERM)) + pp.StringEnd()


def _terms_pattern(text: str) -> Pattern:
    try:
        parsed = _TERMS.parse_string(text, parse_all=True)
    except pp.ParseBaseException:
        raise PatternError(f"Invalid filter pattern: {text}") from None
    terms: list[_Term] = []
    for group in parsed:
        prefix = group[0]
        if "regex" in group:
            terms.append(_Term(prefix, group["regex"], _compile_regex(group["regex"][1:-1])))
        elif "quoted" in group:
            terms.append(_Term(prefix, group["quoted"], None))
        else:
            bare = group["bare"]
            if prefix == "" and bare[0] in "?-" and len(bare) > 1:  # "-ERROR" parsed as one bare word
                prefix, bare = bare[0], bare[1:]
            terms.append(_Term(prefix, bare, None))
    if sum(1 for term in terms if term.regex is not None) > MAX_REGEXES:
        raise PatternError("Too many regular expressions in the filter pattern (at most 2)")
    required = [term for term in terms if term.prefix == ""]
    excluded = [term for term in terms if term.prefix == "-"]
    optional = [term for term in terms if term.prefix == "?"] if not required else []
    matched = Match()

    def test(message: str) -> Match | None:
        if any(not term.found(message) for term in required):
            return None
        if any(term.found(message) for term in excluded):
            return None
        if optional and not any(term.found(message) for term in optional):
            return None
        return matched

    return Pattern(text, "terms", test, required=tuple(term.text for term in required if term.regex is None))


# --- JSON selectors -----------------------------------------------------------------------------

_KEY_STEP = re.compile(r"\.(\*|[^.\[\]\s=!<>()&|%\"]+)|\[(\*|\d+)\]")


def _parse_selector(text: str) -> list[str | int]:
    if not text.startswith("$"):
        raise PatternError(f"Invalid selector: {text}")
    steps: list[str | int] = []
    position = 1
    while position < len(text):
        step = _KEY_STEP.match(text, position)
        if step is None:
            raise PatternError(f"Invalid selector: {text}")
        key, index = step.group(1), step.group(2)
        if key is not None:
            steps.append(key)
        else:
            steps.append("*" if index == "*" else int(index))
        position = step.end()
    if not steps:
        raise PatternError(f"Invalid selector: {text}")
    return steps


def _select_all(value: Any, steps: list[str | int]) -> list[Any]:
    """Every value the selector reaches (a `*` step reaches every member)."""
    current = [value]
    for step in steps:
        following: list[Any] = []
        for item in current:
            if step == "*":
                if isinstance(item, dict):
                    following.extend(item.values())
                elif isinstance(item, list):
                    following.extend(item)
            elif isinstance(step, int):
                if isinstance(item, list) and step < len(item):
                    following.append(item[step])
            elif isinstance(item, dict) and step in item:
                following.append(item[step])
        current = following
    return current


def _select(value: Any, steps: list[str | int]) -> Any:
    found = _select_all(value, steps)
    return found[0] if found else _ABSENT


def _json_object(message: str) -> dict[str, Any] | None:
    text = message.strip()
    if not text.startswith("{"):
        return None
    try:
        document = json.loads(text)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


# --- comparisons on one value (JSON members and delimited words) ---------------------------------


@dataclass(frozen=True)
class _Literal:
    text: str
    quoted: bool
    regex: re.Pattern[str] | None = None

    @functools.cached_property
    def number(self) -> float | None:
        return None if self.quoted or self.regex is not None else _number(self.text)


def _compare_json(value: Any, op: str, literal: _Literal) -> bool:
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        if op in ("=", "!=") and literal.regex is None and not literal.quoted and literal.number is None:
            text = (
                {True: "true", False: "false", None: "null"}.get(value) if not isinstance(value, dict | list) else None
            )
            if text is not None:
                return (text == literal.text) == (op == "=")
        return False
    if isinstance(value, int | float):
        if literal.number is not None:
            return _numeric(float(value), op, literal.number)
        if op in ("=", "!=") and literal.regex is not None:
            return (literal.regex.search(_json_number_text(value)) is not None) == (op == "=")
        if op in ("=", "!=") and "*" in literal.text:
            return _string_equal(_json_number_text(value), literal.text) == (op == "=")
        return False
    text = str(value)
    if op not in ("=", "!="):
        number = _number(text)
        return number is not None and literal.number is not None and _numeric(number, op, literal.number)
    found = literal.regex.search(text) is not None if literal.regex is not None else _string_equal(text, literal.text)
    return found == (op == "=")


def _json_number_text(value: int | float) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _compare_word(word: str, op: str, literal: _Literal) -> bool:
    if op in ("=", "!="):
        if literal.regex is not None:
            found = literal.regex.search(word) is not None
        elif literal.number is not None and _number(word) is not None:
            found = _number(word) == literal.number
        else:
            found = _string_equal(word, literal.text)
        return found == (op == "=")
    number = _number(word)
    return number is not None and literal.number is not None and _numeric(number, op, literal.number)


def _numeric(left: float, op: str, right: float) -> bool:
    return {
        "=": left == right,
        "!=": left != right,
        "<": left < right,
        ">": left > right,
        "<=": left <= right,
        ">=": left >= right,
    }[op]


# --- the JSON form --------------------------------------------------------------------------------

_OPERATOR = pp.one_of("!= <= >= = < >")
_SELECTOR = pp.Regex(r"\$(?:\.(?:\*|[^.\[\]\s=!<>()&|%\"]+)|\[(?:\*|\d+)\])+")
_BARE_VALUE = pp.Regex(r"[^\s()&|}\"%]+")
_VALUE = _QUOTED("quoted") | _REGEX("regex") | _BARE_VALUE("bare")
_KEYWORD_TEST = pp.Group(
    _SELECTOR("selector")
    + (
        pp.CaselessKeyword("IS")
        + (pp.CaselessKeyword("NULL") | pp.CaselessKeyword("TRUE") | pp.CaselessKeyword("FALSE"))
        | pp.CaselessKeyword("NOT") + pp.CaselessKeyword("EXISTS")
    )("test")
)
_COMPARISON = pp.Group(_SELECTOR("selector") + _OPERATOR("op") + pp.Group(_VALUE)("value"))
_CONDITION = _KEYWORD_TEST | _COMPARISON
_JSON_EXPRESSION = pp.infix_notation(
    _CONDITION, [(pp.Literal("&&"), 2, pp.OpAssoc.LEFT), (pp.Literal("||"), 2, pp.OpAssoc.LEFT)]
)
_JSON = pp.Suppress("{") + _JSON_EXPRESSION + pp.Suppress("}") + pp.StringEnd()

JsonTest = Callable[[dict[str, Any], dict[str, Any]], bool]


_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "=": lambda left, right: left == right,
    "!=": lambda left, right: left != right,
    "<": lambda left, right: left < right,
    ">": lambda left, right: left > right,
    "<=": lambda left, right: left <= right,
    ">=": lambda left, right: left >= right,
}


def _numeric_member_test(selector: str, steps: list[str | int], op: str, literal: _Literal) -> JsonTest:
    """A number compared with one member (no wildcard): the common case, kept quick (a search of a
    large group runs it once per candidate event); anything but a number falls back to the rules."""
    number = literal.number
    assert number is not None
    holds = _OPERATORS[op]

    def compare(document: dict[str, Any], seen: dict[str, Any]) -> bool:
        value: Any = document
        for step in steps:
            if isinstance(step, int):
                if not isinstance(value, list) or step >= len(value):
                    return False
            elif not isinstance(value, dict) or step not in value:
                return False
            value = value[step]
        if type(value) is int or type(value) is float:
            found = holds(value, number)
        else:
            found = _compare_json(value, op, literal)
        if found:
            seen.setdefault(selector, value)
        return found

    return compare


def _literal(group: pp.ParseResults) -> _Literal:
    if "regex" in group:
        return _Literal(group["regex"], False, _compile_regex(group["regex"][1:-1]))
    if "quoted" in group:
        return _Literal(group["quoted"], True)
    return _Literal(group["bare"], False)


class _JsonBuilder:
    def __init__(self) -> None:
        self.regexes = 0
        self.wildcards = 0
        self.names: set[str] = set()

    def build(self, node: pp.ParseResults) -> JsonTest:
        if "selector" in node:
            return self.condition(node)
        parts = list(node)
        operands = [self.build(part) for part in parts[0::2]]
        operator = parts[1]
        if operator == "&&":
            return lambda document, seen: all(test(document, seen) for test in operands)
        return lambda document, seen: any(test(document, seen) for test in operands)

    def condition(self, node: pp.ParseResults) -> JsonTest:
        selector = node["selector"]
        steps = _parse_selector(selector)
        stars = sum(1 for step in steps if step == "*")
        if stars > MAX_SELECTOR_WILDCARDS:
            raise PatternError(f"Too many wildcards in selector {selector} (at most 1)")
        self.wildcards += stars
        if self.wildcards > MAX_PATTERN_WILDCARDS:
            raise PatternError("Too many wildcards in the filter pattern (at most 3)")
        self.names.add(selector)
        if "test" in node:
            words = " ".join(word.upper() for word in node["test"])
            return self.keyword(selector, steps, words)
        op = node["op"]
        literal = _literal(node["value"])
        if literal.regex is not None:
            self.regexes += 1
            if op not in ("=", "!="):
                raise PatternError(f"A regular expression can only be compared with = or !=: {selector}")
        elif op not in ("=", "!=") and literal.number is None:
            raise PatternError(f"Invalid numeric value for {op} on {selector}: {literal.text}")

        if "*" not in steps and literal.number is not None:
            return _numeric_member_test(selector, steps, op, literal)

        def compare(document: dict[str, Any], seen: dict[str, Any]) -> bool:
            for value in _select_all(document, steps):
                if _compare_json(value, op, literal):
                    seen.setdefault(selector, value)
                    return True
            return False

        return compare

    @staticmethod
    def keyword(selector: str, steps: list[str | int], words: str) -> JsonTest:
        def test(document: dict[str, Any], seen: dict[str, Any]) -> bool:
            found = _select_all(document, steps)
            if words == "NOT EXISTS":
                return not found
            wanted: Any = {"IS NULL": None, "IS TRUE": True, "IS FALSE": False}[words]
            for value in found:
                if value is wanted:
                    seen.setdefault(selector, value)
                    return True
            return False

        return test


_PLAIN_TEXT = re.compile(r"[A-Za-z0-9 _.:@#=,;+\-]+")
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_\-]+")
_INTEGER = re.compile(r"-?[1-9][0-9]*")


def _json_required(node: pp.ParseResults) -> list[str]:
    """The text a message must hold for the conditions ANDed at the top to match: each selector's
    last key as JSON writes it, and the plain strings and integers compared with `=`."""
    if "selector" not in node:
        parts = list(node)
        if parts[1] != "&&":
            return []
        return [text for part in parts[0::2] for text in _json_required(part)]
    if "test" in node and " ".join(word.upper() for word in node["test"]) == "NOT EXISTS":
        return []
    required = []
    last = _parse_selector(node["selector"])[-1]
    if isinstance(last, str) and last != "*" and _PLAIN_KEY.fullmatch(last):
        required.append(f'"{last}"')
    if node.get("op") == "=":
        literal = _literal(node["value"])
        if literal.regex is None and "*" not in literal.text:
            plain = _PLAIN_TEXT.fullmatch(literal.text) is not None
            textual = literal.quoted or literal.number is None or _INTEGER.fullmatch(literal.text) is not None
            if plain and textual:
                required.append(literal.text)
    return required


def _json_pattern(text: str) -> Pattern:
    try:
        parsed = _JSON.parse_string(text, parse_all=True)
    except pp.ParseBaseException:
        raise PatternError(f"Invalid JSON filter pattern: {text}") from None
    builder = _JsonBuilder()
    test = builder.build(parsed[0])
    if builder.regexes > MAX_REGEXES:
        raise PatternError("Too many regular expressions in the filter pattern (at most 2)")

    def run(message: str) -> Match | None:
        document = _json_object(message)
        if document is None:
            return None
        seen: dict[str, Any] = {}
        return Match(seen) if test(document, seen) else None

    return Pattern(text, "json", run, frozenset(builder.names), required=tuple(_json_required(parsed[0])))


# --- the space-delimited form ---------------------------------------------------------------------

_NAME = pp.Regex(r"[A-Za-z_][A-Za-z0-9_\-]*")
_WORD_VALUE = _QUOTED("quoted") | _REGEX("regex") | pp.Regex(r"[^\s,\]\"%&|]+")("bare")
_WORD_CONDITION = pp.Group(pp.Opt(_NAME("name")) + _OPERATOR("op") + pp.Group(_WORD_VALUE)("value"))
_WORD_CONDITIONS = pp.infix_notation(
    _WORD_CONDITION, [(pp.Literal("&&"), 2, pp.OpAssoc.LEFT), (pp.Literal("||"), 2, pp.OpAssoc.LEFT)]
)
_SLOT = pp.Group(pp.Literal("...")("ellipsis")) | pp.Group(
    _NAME("name") + pp.Opt(pp.Group(_WORD_CONDITIONS)("conditions"))
)
_DELIMITED = (
    pp.Suppress("[") + pp.Opt(pp.DelimitedList(_SLOT, delim=",", allow_trailing_delim=False)) + pp.Suppress("]")
) + pp.StringEnd()

WordTest = Callable[[str], bool]


@dataclass(frozen=True)
class _Slot:
    name: str | None  # None for "..."
    test: WordTest | None


def _word_test(node: pp.ParseResults, name: str, counter: list[int]) -> WordTest:
    if "op" in node:
        own = node.get("name", name)
        if own != name:
            raise PatternError(f"A condition on field {name} names another field: {own}")
        literal = _literal(node["value"])
        op = node["op"]
        if literal.regex is not None:
            counter[0] += 1
            if op not in ("=", "!="):
                raise PatternError(f"A regular expression can only be compared with = or !=: {name}")
        elif op not in ("=", "!=") and literal.number is None:
            raise PatternError(f"Invalid numeric value for {op} on {name}: {literal.text}")
        return lambda word: _compare_word(word, op, literal)
    parts = list(node)
    operands = [_word_test(part, name, counter) for part in parts[0::2]]
    if parts[1] == "&&":
        return lambda word: all(test(word) for test in operands)
    return lambda word: any(test(word) for test in operands)


_WORD = re.compile(r'"([^"]*)"?|\[([^\]]*)\]?|(\S+)')


def split_words(message: str) -> list[str]:
    """The words of a space-delimited event: "quoted" and [bracketed] text is one word each."""
    words = []
    for found in _WORD.finditer(message):
        quoted, bracketed, plain = found.groups()
        words.append(quoted if quoted is not None else bracketed if bracketed is not None else plain)
    return words


def _fit(slots: list[_Slot], words: list[str], names: dict[str, str]) -> bool:
    """Whether the words fill the slots in order, `...` taking any number of words."""

    @functools.cache
    def fits(slot: int, word: int) -> bool:
        if slot == len(slots):
            return word == len(words)
        current = slots[slot]
        if current.name is None:
            return any(fits(slot + 1, following) for following in range(word, len(words) + 1))
        if word == len(words):
            return False
        if current.test is not None and not current.test(words[word]):
            return False
        return fits(slot + 1, word + 1)

    if not fits(0, 0):
        return False
    # Name the words along the first fitting path (for metric values and dimensions).
    slot = word = 0
    while slot < len(slots):
        current = slots[slot]
        if current.name is None:
            word = next(following for following in range(word, len(words) + 1) if fits(slot + 1, following))
        else:
            names[f"${current.name}"] = words[word]
            word += 1
        slot += 1
    return True


def _delimited_pattern(text: str) -> Pattern:
    try:
        parsed = _DELIMITED.parse_string(text, parse_all=True)
    except pp.ParseBaseException:
        raise PatternError(f"Invalid space-delimited filter pattern: {text}") from None
    slots: list[_Slot] = []
    counter = [0]
    for node in parsed:
        if "ellipsis" in node:
            slots.append(_Slot(None, None))
            continue
        name = node["name"]
        test = _word_test(node["conditions"][0], name, counter) if "conditions" in node else None
        slots.append(_Slot(name, test))
    if counter[0] > MAX_REGEXES:
        raise PatternError("Too many regular expressions in the filter pattern (at most 2)")
    named = frozenset(f"${slot.name}" for slot in slots if slot.name is not None)

    def run(message: str) -> Match | None:
        names: dict[str, Any] = {}
        return Match(names) if _fit(slots, split_words(message), names) else None

    return Pattern(text, "delimited", run, named)


# --- entry point ----------------------------------------------------------------------------------

_EVERYTHING = Match()


@functools.lru_cache(maxsize=512)
def compile_pattern(text: str | None) -> Pattern:
    """The compiled pattern (cached: a metric filter's pattern is compiled once per process)."""
    stripped = (text or "").strip()
    if not stripped:
        return Pattern(text or "", "all", lambda message: _EVERYTHING)
    if stripped.startswith("{"):
        return _json_pattern(stripped)
    if stripped.startswith("["):
        return _delimited_pattern(stripped)
    return _terms_pattern(stripped)
