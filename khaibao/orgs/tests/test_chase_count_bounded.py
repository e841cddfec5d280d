"""The chasing list decides "stream it now / write it in the background" from a count that stops
at EXPORT_STREAM_MAX_ROWS + 1, in the request and again in the worker (review "scale": a full count
at the root of 1M members took 12.5–28.9 s, past the web profile's statement timeout, and 44 s in
the worker)."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from khaibao.exports.models import ExportJob, Status
from khaibao.exports.tasks import export_run
from khaibao.stats.tests.helpers import official_client


def _member_counts(queries: list[dict[str, Any]]) -> list[str]:
    return [q["sql"] for q in queries if "COUNT(" in q["sql"] and '"orgs_member"' in q["sql"]]


def test_it_counts_the_members_with_a_limit_in_the_request_and_in_the_job(world: Any, tree: Any, settings: Any) -> None:
    settings.EXPORT_STREAM_MAX_ROWS = 1
    client = official_client(tree.admin)

    with CaptureQueriesContext(connection) as request_sql:
        resp = client.post(
            f"/staff/compliance/{tree.twd.pk}/chase/", {"status": "not_done", "format": "csv", "campaign": tree.campaign.pk}
        )

    assert resp.status_code == 302  # over the limit: a background job
    counts = _member_counts(request_sql.captured_queries)
    assert counts, "the request decides from a count"
    assert all("LIMIT 2" in sql for sql in counts), counts
    job = ExportJob.objects.get(owner=tree.admin)
    assert job.estimated_rows >= 2

    with CaptureQueriesContext(connection) as job_sql:
        export_run.call(job.pk)

    counts = _member_counts(job_sql.captured_queries)
    assert counts
    assert all("LIMIT 2" in sql for sql in counts), counts
    job.refresh_from_db()
    assert job.status == Status.DONE
    assert (job.row_count or 0) > 1


def test_a_list_within_the_limit_still_streams_with_its_exact_count(world: Any, tree: Any, settings: Any) -> None:
    settings.EXPORT_STREAM_MAX_ROWS = 1_000
    client = official_client(tree.admin)

    resp = client.post(
        f"/staff/compliance/{tree.hn.pk}/chase/", {"status": "not_done", "format": "csv", "campaign": tree.campaign.pk}
    )

    assert resp.status_code == 200
    b"".join(resp.streaming_content)  # type: ignore[attr-defined]  # a streamed answer
    job = ExportJob.objects.get(owner=tree.admin)
    assert job.streamed
    assert job.estimated_rows == job.row_count
    assert job.estimated_rows > 0
