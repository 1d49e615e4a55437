from django.urls import path

from inward.campaigns.views import approvals, calendar, campaigns, events, external, journey

app_name = "campaigns"
urlpatterns = [
    path("", campaigns.campaign_list, name="list"),
    path("new/", campaigns.campaign_create, name="create"),
    path("calendar/", calendar.calendar, name="calendar"),
    path("blackouts/", calendar.blackout_list, name="blackouts"),
    path("blackouts/<int:blackout_id>/delete/", calendar.blackout_delete, name="blackout_delete"),
    path("approvals/", approvals.approval_inbox, name="approvals"),
    path("approvals/<int:touch_id>/", approvals.approval_decide, name="approval_decide"),
    path("external/", external.external_list, name="external_list"),
    path("external/new/", external.external_create, name="external_create"),
    path("external/<slug:slug>/", external.external_edit, name="external_edit"),
    path("external/<slug:slug>/launch-kit/", external.launch_kit, name="launch_kit"),
    path("people/", journey.person_picker, name="person_picker"),
    path("<slug:slug>/", campaigns.campaign_detail, name="detail"),
    path("<slug:slug>/edit/", campaigns.campaign_edit, name="edit"),
    path("<slug:slug>/brief/", campaigns.campaign_brief, name="brief"),
    path("<slug:slug>/progress/", campaigns.campaign_progress, name="progress"),
    path("<slug:slug>/submit/", campaigns.campaign_submit, name="submit"),
    path("<slug:slug>/launch/", campaigns.campaign_launch, name="launch"),
    path("<slug:slug>/cancel/", campaigns.campaign_cancel, name="cancel"),
    path("<slug:slug>/touches/new/", journey.touch_create, name="touch_create"),
    path("<slug:slug>/touches/<int:touch_id>/", journey.touch_edit, name="touch_edit"),
    path("<slug:slug>/touches/<int:touch_id>/delete/", journey.touch_delete, name="touch_delete"),
    path("<slug:slug>/touches/<int:touch_id>/move/", journey.touch_move, name="touch_move"),
    path("<slug:slug>/touches/<int:touch_id>/event/", events.touch_event, name="touch_event"),
    path(
        "<slug:slug>/touches/<int:touch_id>/variants/new/",
        journey.variant_create,
        name="variant_create",
    ),
    path(
        "<slug:slug>/touches/<int:touch_id>/variants/<int:variant_id>/",
        journey.variant_edit,
        name="variant_edit",
    ),
    path(
        "<slug:slug>/touches/<int:touch_id>/preview/",
        journey.variant_preview,
        name="variant_preview",
    ),
]
