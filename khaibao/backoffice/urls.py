from django.urls import path

from khaibao.backoffice import audit as audit_console
from khaibao.backoffice import break_glass as break_glass_console
from khaibao.backoffice import cases as cases_console
from khaibao.backoffice import compliance as compliance_console
from khaibao.backoffice import exports, health, subject_requests, verify, views
from khaibao.backoffice import id_reviews as id_reviews_console
from khaibao.backoffice import news as news_console
from khaibao.backoffice import org_campaigns as org_campaigns_console
from khaibao.backoffice import org_venues as org_venues_console
from khaibao.backoffice import orgs as orgs_console
from khaibao.backoffice import reports as reports_console
from khaibao.backoffice import stats as stats_console
from khaibao.backoffice import tracing as tracing_console
from khaibao.backoffice import venues as venues_console
from khaibao.backoffice import volunteers as volunteers_console
from khaibao.backoffice import zone_places as zone_places_console
from khaibao.backoffice import zones as zones_console

app_name = "backoffice"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("2fa/", views.two_factor, name="two_factor"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("verify/", verify.verify, name="verify"),
    path("health/", health.health, name="health"),
    path("zones/", zones_console.zones_index, name="zones"),
    path("zones/new/", zones_console.zone_create, name="zone_create"),
    path("zones/<int:zone_id>/", zones_console.zone_detail, name="zone_detail"),
    path("zones/<int:zone_id>/edit/", zones_console.zone_edit, name="zone_edit"),
    path("zones/<int:zone_id>/end/", zones_console.zone_end, name="zone_end"),
    path("zones/<int:zone_id>/progress/", zones_console.zone_progress, name="zone_progress"),
    path("zones/places/new/", zone_places_console.place_create, name="place_create"),
    path("zones/places/<int:place_id>/", zone_places_console.place_detail, name="place_detail"),
    path("zones/places/<int:place_id>/edit/", zone_places_console.place_edit, name="place_edit"),
    path("zones/places/<int:place_id>/withdraw/", zone_places_console.place_withdraw, name="place_withdraw"),
    # Venue check-in (issue 20): the venues of the official's area.
    path("venues/", venues_console.venues_index, name="venues"),
    path("venues/<int:venue_id>/", venues_console.venue_detail, name="venue"),
    path("venues/<int:venue_id>/status/", venues_console.venue_status, name="venue_status"),
    path("venues/<int:venue_id>/case-visits/", venues_console.venue_case_visit, name="venue_case_visit"),
    path("cases/<int:person_id>/checkins/", venues_console.case_checkins, name="case_checkins"),
    path("cases/<int:person_id>/checkins/<int:checkin_id>/visit/", venues_console.case_checkin_visit,
         name="case_checkin_visit"),
    path("reports/", reports_console.reports_index, name="reports"),
    path("reports/<int:report_id>/", reports_console.report_detail, name="report"),
    path("reports/<int:report_id>/status/", reports_console.report_status, name="report_status"),
    path("reports/<int:report_id>/notes/", reports_console.report_note, name="report_note"),
    path("reports/<int:report_id>/replies/", reports_console.report_reply, name="report_reply"),
    path("reports/<int:report_id>/to-case/", reports_console.report_to_case, name="report_to_case"),
    path("reports/<int:report_id>/photos/<int:photo_id>/", reports_console.report_photo, name="report_photo"),
    path("cases/", cases_console.queue, name="cases"),
    path("cases/<int:person_id>/", cases_console.case, name="case"),
    path("cases/<int:person_id>/actions/", cases_console.case_action, name="case_action"),
    path("cases/<int:person_id>/assign/", cases_console.case_assign, name="case_assign"),
    path("cases/<int:person_id>/reveal/", cases_console.case_reveal, name="case_reveal"),
    path("cases/<int:person_id>/contacts/", tracing_console.case_contacts, name="case_contacts"),
    path("cases/<int:person_id>/household-limit/", cases_console.case_household_limit, name="case_household_limit"),
    # Duplicate ID numbers to review (issue 18, item 4).
    path("id-reviews/", id_reviews_console.reviews_index, name="id_reviews"),
    path("id-reviews/<int:review_id>/", id_reviews_console.review_detail, name="id_review"),
    path("id-reviews/<int:review_id>/resolve/", id_reviews_console.review_resolve, name="id_review_resolve"),
    path("tracing/wards/", tracing_console.tracing_wards, name="tracing_wards"),
    path("break-glass/", break_glass_console.search, name="break_glass"),
    path("break-glass/review/", break_glass_console.review, name="break_glass_review"),
    path("stats/", stats_console.dashboard, name="stats"),
    path("stats/charts.css", stats_console.charts_css, name="charts_css"),
    path("compliance/", compliance_console.dashboard, name="compliance"),
    path("compliance/<int:unit_id>/", compliance_console.dashboard, name="compliance_unit"),
    path("compliance/<int:unit_id>/members/", compliance_console.members, name="compliance_members"),
    path("compliance/<int:unit_id>/export/", compliance_console.export, name="compliance_export"),
    path("compliance/<int:unit_id>/remind/", compliance_console.remind_now, name="compliance_remind"),
    path("compliance/<int:unit_id>/chase/", compliance_console.chase_export, name="compliance_chase"),
    path("news/", news_console.news_list, name="news"),
    path("news/new/", news_console.news_create, name="news_create"),
    path("news/preview/", news_console.news_preview, name="news_preview"),
    path("news/<int:announcement_id>/edit/", news_console.news_edit, name="news_edit"),
    path("news/<int:announcement_id>/unpublish/", news_console.news_unpublish, name="news_unpublish"),
    path("orgs/", orgs_console.orgs_index, name="orgs"),
    path("orgs/<int:unit_id>/", orgs_console.unit_detail, name="org_unit"),
    path("orgs/<int:unit_id>/do/<str:action>/", orgs_console.unit_action, name="org_unit_action"),
    path("orgs/<int:unit_id>/import/", orgs_console.roster_import, name="org_roster_import"),
    path("orgs/<int:unit_id>/campaigns/new/", org_campaigns_console.campaign_create, name="org_campaign_create"),
    # The venues of an organisation admin's unit (issue 20, item 1).
    path("orgs/venues/", org_venues_console.venues_index, name="org_venues"),
    path("orgs/venues/new/", org_venues_console.venue_new, name="org_venue_new"),
    path("orgs/venues/<int:venue_id>/", org_venues_console.venue_detail, name="org_venue"),
    path("orgs/venues/<int:venue_id>/poster/", org_venues_console.venue_poster, name="org_venue_poster"),
    path("orgs/venues/<int:venue_id>/poster.svg", org_venues_console.venue_poster_svg, name="org_venue_poster_svg"),
    path("orgs/members/<int:member_id>/remove/", orgs_console.member_remove, name="org_member_remove"),
    path("orgs/imports/<int:import_id>/errors.csv", orgs_console.roster_errors, name="org_roster_errors"),
    path("orgs/campaigns/<int:campaign_id>/edit/", org_campaigns_console.campaign_edit, name="org_campaign_edit"),
    path("orgs/campaigns/<int:campaign_id>/archive/", org_campaigns_console.campaign_archive, name="org_campaign_archive"),
    path("set-password/<str:uidb64>/<str:token>/", orgs_console.set_password, name="set_password"),
    path("volunteers/", volunteers_console.volunteers, name="volunteers"),
    path("volunteers/<int:appointment_id>/revoke/", volunteers_console.volunteer_revoke, name="volunteer_revoke"),
    path("audit/", audit_console.audit_search, name="audit"),
    path("audit/export/", audit_console.audit_export, name="audit_export"),
    path("privacy/requests/", subject_requests.requests_list, name="subject_requests"),
    path("exports/", exports.exports, name="exports"),
    path("exports/<int:job_id>/", exports.export_status, name="export_status"),
    path("exports/<int:job_id>/download/", exports.export_download, name="export_download"),
]
