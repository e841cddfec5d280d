"""Right after "Nhắc ngay" the compliance dashboard's "last reminder" line counts today's run
(browser review: it said no reminder had been sent yet, next to the run's own count, until the
rollup's next refresh — up to a minute later)."""

from __future__ import annotations

import re
from typing import Any

from django.utils import timezone

from khaibao.orgs import tasks
from khaibao.orgs.models import UnitReminderRun
from khaibao.orgs.tests.test_compliance import at, member, today, tree  # noqa: F401  (the fixture)
from khaibao.stats.tests.helpers import official_client


def _last_reminder(client: Any, unit_pk: int) -> str:
    page = client.get(f"/staff/compliance/{unit_pk}/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    match = re.search(r'<p data-testid="reminder-last">(.*?)</p>', page, re.S)
    assert match is not None
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def test_it_counts_todays_remind_now_before_the_rollup_refreshes(world: Any, tree: Any, settings: Any) -> None:  # noqa: F811
    settings.DAILY_REMINDER_HOUR = 19
    d = today()
    member(world, tree.c1, declared_at=at(d), updated_at=None, account=True)
    client = official_client(tree.admin)
    tasks.compliance_refresh.call()
    assert _last_reminder(client, tree.p1.pk) == "Chưa có lời nhắc nào được gửi tới thành viên của đơn vị này."

    assert client.post(f"/staff/compliance/{tree.p1.pk}/remind/", {"campaign": tree.campaign.pk}).status_code == 302
    run = UnitReminderRun.objects.get(unit=tree.p1, day=d)
    assert tasks.unit_remind_now_task.call(run.pk) == 3
    # No refresh yet: the rollup still says nobody was reminded today.
    day = timezone.localdate().strftime("%d/%m/%Y")
    assert _last_reminder(client, tree.p1.pk).startswith(f"Lần nhắc gần nhất: {day}, đã nhắc 3 thành viên.")

    # Once the rollup has caught up, the same words.
    tasks.compliance_refresh.call()
    assert _last_reminder(client, tree.p1.pk).startswith(f"Lần nhắc gần nhất: {day}, đã nhắc 3 thành viên.")
