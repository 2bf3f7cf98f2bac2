from django.urls import path

from .views import actions, customers, imports, log, mentions, program_settings, public

app_name = "issues"

urlpatterns = [
    path("issues/", log.issue_log, name="log"),
    path("issues/export.csv", log.issue_export, name="export"),
    path("issues/new/", actions.issue_create, name="create"),
    path("issues/<int:pk>/", actions.issue_detail, name="detail"),
    path("issues/<int:pk>/history/", actions.issue_history, name="history"),
    path("issues/<int:pk>/form/<slug:name>/", actions.issue_action_form, name="action_form"),
    path("issues/<int:pk>/outreach/", actions.issue_outreach, name="outreach"),
    path("issues/<int:pk>/outreach/quick/", actions.issue_outreach_quick, name="outreach_quick"),
    path("issues/<int:pk>/status/", actions.issue_status, name="status"),
    path("issues/<int:pk>/transfer/", actions.issue_transfer, name="transfer"),
    path("issues/<int:pk>/reassign/", actions.issue_reassign, name="reassign"),
    path("issues/<int:pk>/resolve/", actions.issue_resolve, name="resolve"),
    path("issues/<int:pk>/unreachable/", actions.issue_unreachable, name="unreachable"),
    path("issues/<int:pk>/reopen/", actions.issue_reopen, name="reopen"),
    path("programs/<slug:slug>/issues/root-causes/", program_settings.root_causes, name="root_causes"),
    path(
        "programs/<slug:slug>/issues/root-causes/<int:pk>/",
        program_settings.root_cause_change,
        name="root_cause_change",
    ),
    path("issues/imports/<int:pk>/", imports.import_detail, name="import_detail"),
    path("programs/<slug:slug>/issues/import/", imports.import_start, name="import_start"),
    path("programs/<slug:slug>/issues/settings/", program_settings.issue_settings, name="settings"),
    path("programs/<slug:slug>/feeds/", mentions.feed_list, name="feed_list"),
    path("programs/<slug:slug>/feeds/<int:pk>/poll/", mentions.feed_poll, name="feed_poll"),
    path("programs/<slug:slug>/feeds/<int:pk>/edit/", mentions.feed_edit, name="feed_edit"),
    path("programs/<slug:slug>/feeds/<int:pk>/pause/", mentions.feed_pause, name="feed_pause"),
    path("programs/<slug:slug>/feeds/<int:pk>/remove/", mentions.feed_remove, name="feed_remove"),
    path("programs/<slug:slug>/mentions/", mentions.mention_list, name="mention_list"),
    path("programs/<slug:slug>/customers/", customers.customer_list, name="customer_list"),
    path("programs/<slug:slug>/customers/<int:pk>/", customers.customer_detail, name="customer"),
    path("programs/<slug:slug>/customers/<int:pk>/merge/", customers.customer_merge, name="customer_merge"),
    path("programs/<slug:slug>/mentions/<int:pk>/", mentions.mention_decide, name="mention_decide"),
    # Customers, no login.
    path("tell-us/<slug:slug>/", public.public_form, name="public_form"),
    path("track/<str:token>/", public.track, name="track"),
    path("track/<str:token>/add/", public.track_note, name="track_note"),
    path("track/<str:token>/recovery/", public.track_recovery, name="track_recovery"),
]
