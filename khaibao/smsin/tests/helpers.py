"""An inbound gateway for the SMS tests: signs and posts messages to /sms/inbound."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

from django.test import Client

from khaibao.core.tests.task_runs import run_due_tasks
from khaibao.smsin.signing import sign

SECRET = "test-inbound-secret-0123456789abcdef"
_ids = itertools.count(1)


class Gateway:
    """Posts signed webhook calls as an SMS gateway would, and reads our replies from the outbox."""

    def __init__(self, outbox: Any) -> None:
        self.client = Client(enforce_csrf_checks=True)
        self.outbox = outbox

    def post(
        self,
        text: str,
        *,
        sender: str = "0911000001",
        message_id: str | None = None,
        received_at: str | None = None,
        form: bool = False,
        timestamp: int | None = None,
        secret: str = SECRET,
        signature: str | None = None,
        client: Client | None = None,
        worker: bool = True,
    ) -> Any:
        """Post one message; then, unless `worker=False`, run the reply tasks it queued, as the
        worker would (replies are never sent in the webhook's request: smsin/outbox.py)."""
        fields: dict[str, Any] = {"from": sender, "text": text, "message_id": message_id or f"gw-{next(_ids)}"}
        if received_at is not None:
            fields["received_at"] = received_at
        body = urlencode(fields).encode() if form else json.dumps(fields).encode()
        ts = int(time.time()) if timestamp is None else timestamp
        headers = {"X-Timestamp": str(ts), "X-Signature": signature or sign(body, ts, secret)}
        response = (client or self.client).generic(
            "POST", "/sms/inbound", body,
            content_type="application/x-www-form-urlencoded" if form else "application/json",
            headers=headers,
        )
        if worker:
            run_reply_tasks()
        return response

    def replies(self, to: str = "+84911000001") -> list[str]:
        return [m["body"] for m in self.outbox.messages() if m["to"] == to]

    def reply(self, text: str, **kw: Any) -> str:
        """Send `text` and return the one reply it got."""
        to = "+84" + kw.get("sender", "0911000001").lstrip("0")
        before = len(self.replies(to))
        resp = self.post(text, **kw)
        assert resp.status_code == 200, resp.content
        after = self.replies(to)
        assert len(after) == before + 1, after
        return after[-1]


def run_reply_tasks() -> list[Any]:
    """Run the queued reply tasks that are due, as the worker would; their return values in order.

    Only the replies' (not every task, as notifications' `run_worker`): the daily update's own
    work must stay as the SMS tests expect it, and the outbox here read as the replies."""
    return run_due_tasks(REPLY_TASK)


REPLY_TASK = "khaibao.smsin.tasks.inbound_sms_reply_send"

# A CCCD that agrees with its holder: Hà Nội (001), a man born in 1990 ('0' + '90').
CCCD = "001090012345"
REGISTER = f"KB {CCCD} 1990 70 NGUYEN VAN AN"
