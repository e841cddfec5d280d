from django.urls import path
from django.views.generic import RedirectView

from khaibao.news.feeds import NewsAtomFeed
from khaibao.web import (
    declare,
    household,
    memberships,
    offline,
    passes,
    status,
    venues,
    views,
    volunteer,
    zones,
)
from khaibao.web import news as news_pages
from khaibao.web import notifications as notification_pages
from khaibao.web import privacy as privacy_pages
from khaibao.web import reports as report_pages

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("zones/", zones.zones_list, name="zones"),
    path("zones/check/", zones.zones_check, name="zones_check"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-in/code/", views.sign_in_code, name="sign_in_code"),
    path("sign-in/code/new/", views.sign_in_resend, name="sign_in_resend"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("household/", household.household_list, name="household"),
    path("household/add/", household.household_add, name="household_add"),
    path("household/wards/", household.household_wards, name="household_wards"),
    path("household/export.json", household.household_export, name="household_export"),
    path("household/<int:person_id>/edit/", household.household_edit, name="household_edit"),
    path("household/<int:person_id>/remove/", household.household_remove, name="household_remove"),
    path("volunteer/", volunteer.volunteer_home, name="volunteer"),
    path("volunteer/register/", volunteer.volunteer_register, name="volunteer_register"),
    path("volunteer/passes/", volunteer.volunteer_passes, name="volunteer_passes"),
    path("volunteer/people/<int:person_id>/well/", volunteer.volunteer_well, name="volunteer_well"),
    path("volunteer/assisted/<int:delegation_id>/confirm/", volunteer.volunteer_confirm, name="volunteer_confirm"),
    path("volunteer/assisted/<int:delegation_id>/end/", volunteer.volunteer_end, name="volunteer_end"),
    path("people/<int:person_id>/pass.svg", passes.pass_svg, name="pass_svg"),
    path("people/<int:person_id>/", status.status_page, name="person_status"),
    path("people/<int:person_id>/declare/", declare.declare, name="person_declare"),
    path("people/<int:person_id>/risk/", declare.risk_declare, name="person_risk"),
    path("people/<int:person_id>/update/", declare.daily_update, name="person_update"),
    path("memberships/", memberships.membership_list, name="memberships"),
    # The short link in organisations' reminder SMS (khaibao.orgs.reminder_texts.CONFIRM_PATH).
    path("tv", RedirectView.as_view(pattern_name="web:memberships"), name="memberships_short"),
    path(
        "memberships/<int:member_id>/<str:answer>/",
        memberships.membership_answer,
        name="membership_answer",
    ),
    path("reports/", report_pages.reports_mine, name="reports"),
    path("reports/new/", report_pages.report_new, name="report_new"),
    path("reports/done/", report_pages.report_done, name="report_done"),
    path("reports/wards/", report_pages.report_wards, name="report_wards"),
    path("reports/track/", report_pages.report_track, name="report_track"),
    # Venue check-in (issue 20): /c/<code>/ is the URL the posters' QR codes hold.
    path("checkin/", venues.checkin, name="checkin"),
    path("c/<str:code>/", venues.checkin_code, name="checkin_code"),
    path("checkins/", venues.checkins_mine, name="checkins"),
    path("checkins/<int:checkin_id>/delete/", venues.checkin_remove, name="checkin_delete"),
    path("venues/", venues.venues_mine, name="venues"),
    path("venues/new/", venues.venue_new, name="venue_new"),
    path("venues/<int:venue_id>/", venues.venue_detail, name="venue_detail"),
    path("venues/<int:venue_id>/poster/", venues.venue_poster, name="venue_poster"),
    path("venues/<int:venue_id>/poster.svg", venues.venue_poster_svg, name="venue_poster_svg"),
    path("news/", news_pages.news_list, name="news"),
    path("news/feed.atom", NewsAtomFeed(), name="news_feed"),
    path("news/<int:announcement_id>/", news_pages.news_detail, name="news_detail"),
    path("notifications/", notification_pages.inbox, name="notifications"),
    path("notifications/read-all/", notification_pages.mark_all_read, name="notifications_read_all"),
    path("notifications/<int:notification_id>/read/", notification_pages.mark_read, name="notification_read"),
    path("notifications/preferences/", notification_pages.preferences, name="notification_preferences"),
    path(
        "notifications/webpush-subscriptions/",
        notification_pages.webpush_subscribe,
        name="notification_webpush_subscribe",
    ),
    path("my-data/", privacy_pages.privacy_home, name="privacy"),
    path("my-data/export.json", privacy_pages.privacy_export, name="privacy_export"),
    path("my-data/erase/", privacy_pages.privacy_erase, name="privacy_erase"),
    path("my-data/erase/<int:code_id>/", privacy_pages.privacy_confirm, name="privacy_confirm"),
    path("sw.js", offline.service_worker, name="service_worker"),
    path("manifest.webmanifest", offline.manifest, name="manifest"),
    path("offline/", offline.offline_page, name="offline"),
    path("text-size/", offline.text_size, name="text_size"),
]
