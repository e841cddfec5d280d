"""Reads of export jobs: always the requester's own (a health official's, or an organisation
admin's chasing lists)."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from khaibao.accounts.models import Role
from khaibao.exports.models import ExportJob

PAGE_SIZE = 25
EXPORTERS = (Role.OFFICIAL, Role.ORG_ADMIN)


def access_export_for_owner(user: Any, job_id: int) -> ExportJob:
    """The export if `user` asked for it, else Http404 — missing and not-yours answer alike."""
    if user is None or not getattr(user, "is_authenticated", False) or user.role not in EXPORTERS:
        raise Http404
    job = ExportJob.objects.filter(pk=job_id, owner=user).first()
    if job is None:
        raise Http404
    return job


def export_jobs_for(user: Any, *, before: int | None = None, limit: int = PAGE_SIZE) -> list[ExportJob]:
    """The official's exports, newest first; keyset page of `limit` rows with ids below `before`."""
    if user is None or not getattr(user, "is_authenticated", False) or user.role not in EXPORTERS:
        return []
    qs = ExportJob.objects.filter(owner=user).order_by("-id")
    if before is not None:
        qs = qs.filter(id__lt=before)
    return list(qs[:limit])
