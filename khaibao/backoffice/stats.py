"""The officials' statistics dashboard (issue 4, item 7): rollup tables only, charts as inline SVG."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from khaibao.accounts.http import SignedInRequest
from khaibao.core.errors import ServiceError
from khaibao.core.selectors import replica_status
from khaibao.declarations.labels import LEVEL_COLOURS, SYMPTOM_LABELS, label
from khaibao.monitoring.models import Level
from khaibao.stats import charts, selectors


class StatsRangeForm(forms.Form):
    """?from=YYYY-MM-DD&to=YYYY-MM-DD, the same names as the stats API."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        widget = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), "required": False}
        self.fields["from"] = forms.DateField(label=gettext_lazy("From"), **widget)  # type: ignore[arg-type]
        self.fields["to"] = forms.DateField(label=gettext_lazy("To"), **widget)  # type: ignore[arg-type]


_AREA_NUMBERS = (*selectors.FLOW_COLUMNS, *selectors.STOCK_COLUMNS)


def _colour_words() -> dict[str, str]:
    colours = {"green": _("green"), "yellow": _("yellow"), "orange": _("orange"), "red": _("red")}
    return {level: f"{Level(level).label} · {colours[LEVEL_COLOURS[level]]}" for level in selectors.LEVELS}


def _range(request: SignedInRequest) -> tuple[StatsRangeForm, date, date]:
    """The form and the days it asks for; a bad range shows its errors and the default days."""
    form = StatsRangeForm(request.GET or None)
    asked = (None, None)
    if form.is_bound and form.is_valid():
        asked = (form.cleaned_data["from"], form.cleaned_data["to"])
    try:
        date_from, date_to = selectors.stats_range(*asked)
    except ServiceError as exc:
        for name, message in exc.fields.items():
            form.add_error(name, message)
        date_from, date_to = selectors.stats_range(None, None)
    if not form.is_bound:
        form = StatsRangeForm(initial={"from": date_from, "to": date_to})
    return form, date_from, date_to


def _charts(data: selectors.Summary, words: dict[str, str], outcomes: dict[str, str], *, has_activity: bool) -> dict[str, str]:
    return {
        "activity_svg": charts.activity_chart(data) if has_activity else "",
        "levels_svg": charts.levels_chart(data.people_by_level, words) if has_activity else "",
        "symptoms_svg": charts.symptoms_chart(data) if data.symptom_series else "",
        "outcomes_svg": charts.outcomes_chart(data.outcomes, outcomes) if data.outcomes else "",
    }


def _has_numbers(area: selectors.AreaRow) -> bool:
    return any(getattr(area, name) for name in _AREA_NUMBERS)


@login_required(login_url="backoffice:sign_in")
@require_GET
def dashboard(request: SignedInRequest) -> HttpResponse:
    user = request.user
    try:
        level = selectors.area_level(user)
    except ServiceError as exc:
        raise PermissionDenied from exc
    form, date_from, date_to = _range(request)
    data = selectors.summary(user, date_from, date_to)
    table_day = data.totals_day or date_to
    words = _colour_words()
    outcomes = {code: selectors.outcome_label(code) for code in data.outcomes}
    areas = selectors.by_area(user, table_day)
    has_activity = bool(data.declarations or data.daily_updates or sum(data.people_by_level.values()) or data.outcomes)
    context = {
        "form": form,
        "summary": data,
        "has_activity": has_activity,
        "levels": [
            {"level": lv, "colour": LEVEL_COLOURS[lv], "words": words[lv], "count": data.people_by_level[lv]}
            for lv in selectors.LEVELS
        ],
        "symptoms": [(label(SYMPTOM_LABELS, code), n) for code, n in data.top_symptoms],
        "outcomes": [(outcomes[code], n) for code, n in data.outcomes.items()],
        "area_level": level,
        # The API lists every area; the page keeps the ones with something to show.
        "areas": [a for a in areas if _has_numbers(a)],
        "quiet_areas": sum(1 for a in areas if not _has_numbers(a)),
        "table_day": table_day,
        **_charts(data, words, outcomes, has_activity=has_activity),
        # With a read replica (docs/scaling.md) the numbers above were read from it: say how old.
        "replica": replica_status(),
    }
    return render(request, "backoffice/stats/dashboard.html", context, status=400 if form.errors else 200)


@require_GET
def charts_css(request: HttpRequest) -> HttpResponse:
    """The charts' stylesheet (pygal's CSS, once for every chart): public, the same for everyone."""
    response = HttpResponse(charts.chart_stylesheet(), content_type="text/css; charset=utf-8")
    patch_cache_control(response, public=True, max_age=3600)
    return response
