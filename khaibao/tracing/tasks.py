"""Background work for contact tracing: the invitation SMS's retries and their sweep."""

from __future__ import annotations

from django_tasks import task


@task()
def contact_invitation_send(contact_id: int) -> str:
    """One attempt at a traced contact's invitation SMS (tracing.invitations.invitation_send)."""
    from khaibao.tracing.invitations import invitation_send

    return invitation_send(contact_id)


@task()
def contact_invitations_requeue() -> int:
    """Every minute (settings.PERIODIC_TASKS): queue again the invitations whose time passed
    long ago — a lost enqueue, a process killed after the commit (tracing.invitations)."""
    from khaibao.tracing.invitations import invitations_requeue

    return invitations_requeue()
