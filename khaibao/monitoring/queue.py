"""The officials' triage queue (hàng đợi sàng lọc): who is in it and in which order.

A pure rule over one PersonStatus row, so the monitoring services, the missed-updates job and
the follow-up services all keep the queue columns with the same function, and the queue page
itself is one indexed range scan over those columns (no per-request computing).

Who is in the queue (reason ids, also used by the `reason` filter):

* ``level`` — the latest level is medium, high or urgent;
* ``risk_declaration`` — a risk-factor declaration no official has acted on yet (`needs_attention`);
* ``escalation`` — a daily update raised the level, or the person went 2 days without contact
  while under monitoring (`escalated_at`), and no official has acted since;
* ``missed_updates`` — under monitoring with at least one missed day (`missed_days`);
* ``lost_to_followup`` — marked lost to follow-up (by the job or by an official);
* ``contact`` — contact level F0 or F1.

Order: `queue_rank` (higher first), then waiting time (`queue_since`, oldest first). The rank
is the risk engine's priority — level × level_step plus the vulnerability weights (age ≥ 65,
underlying conditions, pregnancy) — plus an escalation bump. The bump is the room the rule
set leaves between the largest vulnerability sum and the next level, so escalation moves a
person up within their level and never above anyone of a higher level.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _

from khaibao.monitoring.models import LEVEL_ORDER
from khaibao.risk import engine

QUEUE_LEVELS = frozenset({"medium", "high", "urgent"})
QUEUE_CONTACT_LEVELS = frozenset({"F0", "F1"})
# Two consecutive days without contact escalate (issue 4 §4).
ESCALATE_AFTER_DAYS = 2

REASON_LEVEL = "level"
REASON_RISK_DECLARATION = "risk_declaration"
REASON_ESCALATION = "escalation"
REASON_MISSED = "missed_updates"
REASON_LOST = "lost_to_followup"
REASON_CONTACT = "contact"

QUEUE_REASONS: dict[str, Any] = {
    REASON_LEVEL: _("Medium, high or urgent level"),
    REASON_RISK_DECLARATION: _("New risk-factor declaration"),
    REASON_ESCALATION: _("Escalated"),
    REASON_MISSED: _("Missed daily updates"),
    REASON_LOST: _("Lost to follow-up"),
    REASON_CONTACT: _("Contact level F0 or F1"),
}


def escalation_bump(rules: engine.RuleSet | None = None) -> int:
    """The largest bump that keeps every escalated person inside their level's band."""
    weights = (rules or engine.current_rules()).priority
    return max(0, weights.level_step - 1 - (weights.age + weights.condition + weights.pregnant))


def under_monitoring(status: Any, today: date) -> bool:
    return status.monitoring_until is not None and status.monitoring_until >= today


def queue_reasons(status: Any, today: date) -> list[str]:
    """The reason ids that put `status` in the queue today (empty: not in the queue)."""
    reasons = []
    if status.assessed_at is not None and status.level in QUEUE_LEVELS:
        reasons.append(REASON_LEVEL)
    if status.needs_attention:
        reasons.append(REASON_RISK_DECLARATION)
    if status.escalated_at is not None:
        reasons.append(REASON_ESCALATION)
    if status.missed_days >= 1 and under_monitoring(status, today):
        reasons.append(REASON_MISSED)
    if status.lost_to_followup_at is not None:
        reasons.append(REASON_LOST)
    if status.contact_level in QUEUE_CONTACT_LEVELS or status.is_f0:
        reasons.append(REASON_CONTACT)
    return reasons


def queue_rank(status: Any, rules: engine.RuleSet | None = None) -> int:
    """Level band + vulnerability (from the engine's priority) + the escalation bump."""
    rules = rules or engine.current_rules()
    step = rules.priority.level_step
    # The engine's priority is level × step + weights, and the weights always add up to less
    # than one step (the rule-set loader refuses anything else), so the remainder is them.
    vulnerability = max(0, status.priority) % step
    rank = LEVEL_ORDER.get(status.level, 0) * step + vulnerability
    if status.escalated_at is not None or status.lost_to_followup_at is not None:
        rank += escalation_bump(rules)
    return rank


def queue_fields(status: Any, today: date, now: datetime) -> dict[str, Any]:
    """The queue columns for `status`: in_queue, queue_rank and queue_since. Pure.

    Waiting time starts when a person enters the queue and keeps running while they stay in
    it: an escalation raises the rank instead of restarting the clock, so the wait always
    counts from the first moment the person needed attention.
    """
    in_queue = bool(queue_reasons(status, today))
    if not in_queue:
        return {"in_queue": False, "queue_rank": queue_rank(status), "queue_since": None}
    since = status.queue_since if status.in_queue and status.queue_since is not None else now
    return {"in_queue": True, "queue_rank": queue_rank(status), "queue_since": since}


def queue_apply(status: Any, today: date, now: datetime) -> list[str]:
    """Set the queue columns of `status` in memory; returns the names of the fields set."""
    for name, value in queue_fields(status, today, now).items():
        setattr(status, name, value)
    return ["in_queue", "queue_rank", "queue_since"]


def missed_run(*, last_day_with_update: date | None, start: date, until: date, today: date) -> int:
    """Consecutive days without a daily update, up to yesterday, inside the monitoring period.

    Days before `start` (the day monitoring was opened in the system) never count: nobody is
    blamed for days before they knew.
    """
    last = min(today - timedelta(days=1), until)
    first = start
    if last_day_with_update is not None and last_day_with_update >= first:
        first = last_day_with_update + timedelta(days=1)
    return max(0, (last - first).days + 1)
