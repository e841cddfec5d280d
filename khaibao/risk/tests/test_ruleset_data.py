"""The rule-set files: validation at load time, and docs/risk-rules.md generated from them."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from khaibao.risk.docs import rules_doc, rules_doc_path
from khaibao.risk.rules import RULESETS_DIR, RuleSetError, ruleset_parse


def raw() -> dict[str, Any]:
    return json.loads((RULESETS_DIR / "2026.1.json").read_text(encoding="utf-8"))


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set("rules.0.when", {"symptoms": ["sneezing"]}), "unknown codes"),
        (_set("rules.0.when", {"exposures": []}), "non-empty list"),
        (_set("rules.0.when", {"weather": "rain"}), "unknown condition"),
        (_set("rules.0.when", {"all": [], "any": []}), "exactly one key"),
        (_set("rules.0.when", {"zone_travel": False}), "zone_travel must be true"),
        (_set("rules.0.level", "low"), "level must be"),
        (_set("rules.0.level", "high"), "must start with"),
        (_set("rules.1.id", "urgent.breathing_with_fever"), "duplicate id"),
        (_set("recommendations", {"low": [], "medium": [], "high": []}), "exactly the levels"),
        (_set("priority.weights.age", 900), "less than level_step"),
        (_set("window_days", True), "wrong type"),
        (_set("window_days", 0), "must be positive"),
        (_set("codes.symptoms", ["fever", "fever"]), "distinct"),
    ],
)
def test_it_refuses_a_malformed_rule_set(change: Callable[[dict[str, Any]], None], message: str) -> None:
    data = copy.deepcopy(raw())
    change(data)
    with pytest.raises(RuleSetError, match=message):
        ruleset_parse(data)


def test_it_loads_the_stored_rule_set() -> None:
    rules = ruleset_parse(raw())
    assert (rules.version, rules.window_days, rules.monitoring_days) == ("2026.1", 14, 14)
    assert (rules.zone_min_level, rules.zone_lockdown_counts) == (2, True)


def test_it_keeps_docs_risk_rules_md_up_to_date() -> None:
    path = Path(rules_doc_path())
    assert path.exists(), "run `manage.py risk_rules_doc`"
    assert path.read_text(encoding="utf-8") == rules_doc(), "docs/risk-rules.md is stale: run `manage.py risk_rules_doc`"
    call_command("risk_rules_doc", "--check")


def test_it_writes_the_rules_doc_with_every_rule(tmp_path: Path) -> None:
    out = tmp_path / "docs" / "risk-rules.md"
    call_command("risk_rules_doc", "--output", str(out))
    text = out.read_text(encoding="utf-8")
    for rule in raw()["rules"]:
        assert f"| `{rule['id']}` | {rule['level']} |" in text
    assert "1900 9095" in text
    assert "Window: 14 days" in text


def test_it_fails_the_check_when_the_doc_is_stale(tmp_path: Path) -> None:
    out = tmp_path / "risk-rules.md"
    out.write_text(rules_doc().replace("urgent", "serious"), encoding="utf-8")
    with pytest.raises(CommandError, match="out of date"):
        call_command("risk_rules_doc", "--check", "--output", str(out))
