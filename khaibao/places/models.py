from __future__ import annotations

from django.db import models
from django.utils.translation import get_language


class Province(models.Model):
    """A province or centrally-run city (34 since 1 July 2025), codes from `vietnam-provinces`."""

    code = models.PositiveIntegerField(primary_key=True)
    name = models.CharField(max_length=100)
    codename = models.CharField(max_length=100)
    division_type = models.CharField(max_length=50)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Ward(models.Model):
    """A ward (phường), commune (xã) or special zone (đặc khu) — the second and last level."""

    code = models.PositiveIntegerField(primary_key=True)
    name = models.CharField(max_length=100)
    codename = models.CharField(max_length=100)
    division_type = models.CharField(max_length=50)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="wards")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}, {self.province.name}"


class Country(models.Model):
    """ISO 3166-1 countries and territories, for travel history and nationality."""

    code = models.CharField(max_length=2, primary_key=True)
    name_en = models.CharField(max_length=100)
    name_vi = models.CharField(max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "countries"

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_vi if (get_language() or "vi").startswith("vi") else self.name_en
