"""Load administrative units and countries from the packages that publish them.

Idempotent: run by a data migration on `migrate`, and safe to re-run (`manage.py load_places`)
after upgrading `vietnam-provinces` — existing rows are updated in place, none duplicated.
"""

from __future__ import annotations

from typing import Any

import pycountry
from vietnam_provinces import Province as PkgProvince
from vietnam_provinces import Ward as PkgWard

from khaibao.places.names import country_name


def province_rows() -> list[dict[str, Any]]:
    return [
        {
            "code": int(p.code),
            "name": p.name,
            "codename": p.codename,
            "division_type": p.division_type.value,
        }
        for p in PkgProvince.iter_all()
    ]


def ward_rows() -> list[dict[str, Any]]:
    return [
        {
            "code": int(w.code),
            "name": w.name,
            "codename": w.codename,
            "division_type": w.division_type.value,
            "province_id": int(w.province_code),
        }
        for w in PkgWard.iter_all()
    ]


def country_rows() -> list[dict[str, Any]]:
    """ISO 3166-1 codes from pycountry, names from CLDR (Babel): pycountry's Vietnamese catalogue
    is partial and old ("Nam Dương", English fallbacks such as "Czechia")."""
    return [
        {"code": c.alpha_2, "name_en": country_name(c.alpha_2, "en"), "name_vi": country_name(c.alpha_2, "vi")}
        for c in pycountry.countries
    ]


def load_places(province_model: Any, ward_model: Any, country_model: Any) -> dict[str, int]:
    """Upsert every province, ward and country; models are passed so migrations can use theirs."""
    counts = {}
    for model, rows, fields in (
        (province_model, province_rows(), ["name", "codename", "division_type"]),
        (ward_model, ward_rows(), ["name", "codename", "division_type", "province_id"]),
        (country_model, country_rows(), ["name_en", "name_vi"]),
    ):
        objs = [model(**row) for row in rows]
        model.objects.bulk_create(
            objs,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=fields,
        )
        counts[model.__name__] = len(objs)
    return counts
