from __future__ import annotations

from django.db import models


class OrgUnit(models.Model):
    """A unit of an organisation tree (Trung ương Đoàn → Tỉnh đoàn → Đoàn cơ sở → Chi đoàn).

    The organisations issue builds rosters, campaigns and compliance on this; the foundation
    needs it only so that an organisation admin's scope (a subtree) has somewhere to point.
    `path` is the materialised path of codes ("TW/HN/DCS01") so a subtree is one prefix query.
    """

    code = models.CharField(max_length=50)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    path = models.CharField(max_length=500, unique=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.path = f"{self.parent.path}/{self.code}" if self.parent else self.code
        super().save(*args, **kwargs)  # type: ignore[arg-type]
