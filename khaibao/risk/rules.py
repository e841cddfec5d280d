"""Versioned risk rule sets: the data model, the loader and the condition interpreter.

Rule sets live as JSON files in `rulesets/` (one per version, named `<version>.json`). A rule is
data — an id, a level and a declarative condition — and this module is the small interpreter
that evaluates it. Changing a rule means adding a new rule-set file, never editing code.

Condition language (JSON):
  {"symptoms": "any"} / {"symptoms": [codes]}    a symptom (any / one of the codes) inside the window
  {"exposures": "any"} / {"exposures": [codes]}  an exposure (any / one of the codes) inside the window
  {"zone_travel": true}                          travel in an epidemic zone inside the window
  {"all": [cond, ...]}                           every condition holds
  {"any": [cond, ...]}                           at least one condition holds
  {"none": [cond, ...]}                          no condition holds
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

LEVELS: tuple[str, ...] = ("low", "medium", "high", "urgent")
LEVEL_RANK: dict[str, int] = {level: rank for rank, level in enumerate(LEVELS)}

RULESETS_DIR = Path(__file__).resolve().parent / "rulesets"


class RuleSetError(ValueError):
    """A rule-set file is malformed: raised at load time, so a bad file never reaches `assess`."""


@dataclass(frozen=True)
class Situation:
    """What the facts amount to once the window and the zones are applied."""

    symptoms: frozenset[str]
    exposures: frozenset[str]
    zone_travel: bool


@dataclass(frozen=True)
class Condition:
    kind: str  # "symptoms", "exposures", "zone_travel", "all", "any", "none"
    codes: tuple[str, ...] | None = None  # None means "any code" for symptoms/exposures
    items: tuple[Condition, ...] = ()

    def holds(self, situation: Situation) -> bool:
        if self.kind == "symptoms":
            return _matches(situation.symptoms, self.codes)
        if self.kind == "exposures":
            return _matches(situation.exposures, self.codes)
        if self.kind == "zone_travel":
            return situation.zone_travel
        if self.kind == "all":
            return all(item.holds(situation) for item in self.items)
        if self.kind == "any":
            return any(item.holds(situation) for item in self.items)
        return not any(item.holds(situation) for item in self.items)  # "none"

    def describe(self) -> str:
        """Plain English for docs/risk-rules.md."""
        if self.kind in ("symptoms", "exposures"):
            noun = "symptom" if self.kind == "symptoms" else "exposure"
            if self.codes is None:
                return f"any {noun}"
            return f"{noun} " + " or ".join(f"`{code}`" for code in self.codes)
        if self.kind == "zone_travel":
            return "travel in an epidemic zone"
        parts = [item.describe() for item in self.items]
        if self.kind == "all":
            return " and ".join(_wrap(part) for part in parts)
        if self.kind == "any":
            return " or ".join(_wrap(part) for part in parts)
        return " and ".join("no " + _wrap(part.removeprefix("any ")) for part in parts)


def _matches(present: frozenset[str], codes: tuple[str, ...] | None) -> bool:
    return bool(present) if codes is None else not present.isdisjoint(codes)


def _wrap(text: str) -> str:
    return f"({text})" if " and " in text or " or " in text else text


@dataclass(frozen=True)
class Rule:
    id: str
    level: str
    when: Condition
    note: str = ""


@dataclass(frozen=True)
class PriorityWeights:
    level_step: int
    age_threshold: int
    age: int
    condition: int
    pregnant: int
    note: str = ""


@dataclass(frozen=True)
class RuleSet:
    """One version of the risk rules, as loaded from `rulesets/<version>.json`."""

    version: str
    title: str
    window_days: int
    monitoring_days: int
    zone_min_level: int
    zone_lockdown_counts: bool
    symptom_codes: frozenset[str]
    exposure_codes: frozenset[str]
    condition_codes: frozenset[str]
    rules: tuple[Rule, ...]
    recommendations: Mapping[str, tuple[str, ...]]
    priority: PriorityWeights
    notes: Mapping[str, str]
    # The file order of codes, kept for documentation (frozensets have none).
    code_lists: Mapping[str, tuple[str, ...]]

    @property
    def rule_ids(self) -> frozenset[str]:
        return frozenset(rule.id for rule in self.rules)

    @property
    def recommendation_codes(self) -> frozenset[str]:
        return frozenset(code for codes in self.recommendations.values() for code in codes)


def _need(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in data:
        raise RuleSetError(f"{where}: missing {key!r}")
    value = data[key]
    # bool is an int in Python; a rule set saying `"window_days": true` is a mistake.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise RuleSetError(f"{where}: {key!r} has the wrong type")
    return value


def _codes(values: Any, known: frozenset[str], where: str) -> tuple[str, ...] | None:
    if values == "any":
        return None
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise RuleSetError(f"{where}: expected \"any\" or a non-empty list of codes")
    unknown = set(values) - known
    if unknown:
        raise RuleSetError(f"{where}: unknown codes {sorted(unknown)}")
    return tuple(dict.fromkeys(values))


def _condition(raw: Any, codes: Mapping[str, frozenset[str]], where: str) -> Condition:
    if not isinstance(raw, dict) or len(raw) != 1:
        raise RuleSetError(f"{where}: a condition is an object with exactly one key")
    ((kind, value),) = raw.items()
    if kind in ("symptoms", "exposures"):
        return Condition(kind, codes=_codes(value, codes[kind], f"{where}.{kind}"))
    if kind == "zone_travel":
        if value is not True:
            raise RuleSetError(f"{where}: zone_travel must be true")
        return Condition(kind)
    if kind in ("all", "any", "none"):
        if not isinstance(value, list) or not value:
            raise RuleSetError(f"{where}.{kind}: expected a non-empty list")
        items = tuple(_condition(item, codes, f"{where}.{kind}[{i}]") for i, item in enumerate(value))
        return Condition(kind, items=items)
    raise RuleSetError(f"{where}: unknown condition {kind!r}")


def ruleset_parse(data: Mapping[str, Any]) -> RuleSet:
    """Build and validate a RuleSet from its JSON data; RuleSetError names the first problem."""
    version = _need(data, "version", str, "rule set")
    where = f"rule set {version}"
    code_lists = _code_lists(_need(data, "codes", dict, where), where)
    codes = {kind: frozenset(values) for kind, values in code_lists.items()}
    rules = _rules(_need(data, "rules", list, where), codes, where)
    recommendations = _recommendations(_need(data, "recommendations", dict, where), where)
    raw_zone = _need(data, "epidemic_zone", dict, where)
    priority = _priority_weights(_need(data, "priority", dict, where), where)
    window_days = _need(data, "window_days", int, where)
    monitoring_days = _need(data, "monitoring_days", int, where)
    if window_days < 1 or monitoring_days < 1:
        raise RuleSetError(f"{where}: window_days and monitoring_days must be positive")
    return RuleSet(
        version=version,
        title=str(data.get("title", version)),
        window_days=window_days,
        monitoring_days=monitoring_days,
        zone_min_level=_need(raw_zone, "min_level", int, f"{where}.epidemic_zone"),
        zone_lockdown_counts=_need(raw_zone, "lockdown_counts", bool, f"{where}.epidemic_zone"),
        symptom_codes=codes["symptoms"],
        exposure_codes=codes["exposures"],
        condition_codes=codes["conditions"],
        rules=rules,
        recommendations=recommendations,
        priority=priority,
        notes={
            "window": str(data.get("window_note", "")),
            "monitoring": str(data.get("monitoring_note", "")),
            "epidemic_zone": str(raw_zone.get("note", "")),
        },
        code_lists=code_lists,
    )


def _code_lists(raw_codes: Mapping[str, Any], where: str) -> dict[str, tuple[str, ...]]:
    code_lists: dict[str, tuple[str, ...]] = {}
    for kind in ("symptoms", "exposures", "conditions"):
        values = _need(raw_codes, kind, list, f"{where}.codes")
        if not values or not all(isinstance(v, str) and v for v in values) or len(set(values)) != len(values):
            raise RuleSetError(f"{where}.codes.{kind}: expected distinct non-empty codes")
        code_lists[kind] = tuple(values)
    return code_lists


def _rules(raw_rules: list[Any], codes: dict[str, frozenset[str]], where: str) -> tuple[Rule, ...]:
    rules: list[Rule] = []
    for i, raw in enumerate(raw_rules):
        rule_where = f"{where}.rules[{i}]"
        if not isinstance(raw, dict):
            raise RuleSetError(f"{rule_where}: expected an object")
        rule_id = _need(raw, "id", str, rule_where)
        level = _need(raw, "level", str, rule_where)
        if level not in LEVELS or level == "low":
            raise RuleSetError(f"{rule_where}: level must be one of medium, high, urgent")
        if not rule_id.startswith(f"{level}."):
            raise RuleSetError(f"{rule_where}: id {rule_id!r} must start with {level!r}.")
        if any(rule.id == rule_id for rule in rules):
            raise RuleSetError(f"{rule_where}: duplicate id {rule_id!r}")
        when = _condition(_need(raw, "when", dict, rule_where), codes, f"{rule_where}.when")
        rules.append(Rule(id=rule_id, level=level, when=when, note=str(raw.get("note", ""))))
    return tuple(rules)


def _recommendations(raw_recs: Mapping[str, Any], where: str) -> dict[str, tuple[str, ...]]:
    if set(raw_recs) != set(LEVELS):
        raise RuleSetError(f"{where}.recommendations: expected exactly the levels {list(LEVELS)}")
    recommendations: dict[str, tuple[str, ...]] = {}
    for level in LEVELS:
        values = raw_recs[level]
        if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
            raise RuleSetError(f"{where}.recommendations.{level}: expected a list of codes")
        recommendations[level] = tuple(values)
    return recommendations


def _priority_weights(raw_priority: Mapping[str, Any], where: str) -> PriorityWeights:
    weights = _need(raw_priority, "weights", dict, f"{where}.priority")
    priority = PriorityWeights(
        level_step=_need(raw_priority, "level_step", int, f"{where}.priority"),
        age_threshold=_need(raw_priority, "age_threshold", int, f"{where}.priority"),
        age=_need(weights, "age", int, f"{where}.priority.weights"),
        condition=_need(weights, "condition", int, f"{where}.priority.weights"),
        pregnant=_need(weights, "pregnant", int, f"{where}.priority.weights"),
        note=str(raw_priority.get("note", "")),
    )
    # The brief's promise: urgent before high before medium, whoever the person is.
    if min(priority.age, priority.condition, priority.pregnant) < 0 or (
        priority.age + priority.condition + priority.pregnant >= priority.level_step
    ):
        raise RuleSetError(f"{where}.priority: weights must be >= 0 and add up to less than level_step")
    return priority


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


@cache
def _all_rulesets() -> dict[str, RuleSet]:
    found: dict[str, RuleSet] = {}
    for path in sorted(RULESETS_DIR.glob("*.json")):
        ruleset = ruleset_parse(json.loads(path.read_text(encoding="utf-8")))
        if ruleset.version != path.stem:
            raise RuleSetError(f"{path.name}: declares version {ruleset.version!r}")
        found[ruleset.version] = ruleset
    if not found:
        raise RuleSetError(f"no rule sets in {RULESETS_DIR}")
    return found


def ruleset_versions() -> list[str]:
    """Every stored rule-set version, oldest first."""
    return sorted(_all_rulesets(), key=_version_key)


def current_rules() -> RuleSet:
    """The active rule set: the highest stored version."""
    return _all_rulesets()[ruleset_versions()[-1]]


def rules_by_version(version: str) -> RuleSet:
    """A stored rule set by version (old assessments are explained with the rules they used)."""
    try:
        return _all_rulesets()[version]
    except KeyError:
        raise LookupError(f"unknown risk rule-set version {version!r}") from None
