from django.urls import path

from . import views

app_name = "issues"

urlpatterns = [
    path("issues/", views.issue_log, name="log"),
    path("issues/export.csv", views.issue_export, name="export"),
    path("issues/new/", views.issue_create, name="create"),
    path("issues/<int:pk>/", views.issue_detail, name="detail"),
    path("issues/<int:pk>/history/", views.issue_history, name="history"),
    path("issues/<int:pk>/form/<slug:name>/", views.issue_action_form, name="action_form"),
    path("issues/<int:pk>/outreach/", views.issue_outreach, name="outreach"),
    path("issues/<int:pk>/outreach/quick/", views.issue_outreach_quick, name="outreach_quick"),
    path("issues/<int:pk>/status/", views.issue_status, name="status"),
    path("issues/<int:pk>/transfer/", views.issue_transfer, name="transfer"),
    path("issues/<int:pk>/reassign/", views.issue_reassign, name="reassign"),
    path("issues/<int:pk>/resolve/", views.issue_resolve, name="resolve"),
    path("issues/<int:pk>/reopen/", views.issue_reopen, name="reopen"),
    path("issues/imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("programs/<slug:slug>/issues/import/", views.import_start, name="import_start"),
    path("programs/<slug:slug>/issues/settings/", views.issue_settings, name="settings"),
    path("programs/<slug:slug>/feeds/", views.feed_list, name="feed_list"),
    path("programs/<slug:slug>/feeds/<int:pk>/poll/", views.feed_poll, name="feed_poll"),
    path("programs/<slug:slug>/mentions/", views.mention_list, name="mention_list"),
    path("programs/<slug:slug>/mentions/<int:pk>/", views.mention_decide, name="mention_decide"),
    # Customers, no login.
    path("tell-us/<slug:slug>/", views.public_form, name="public_form"),
    path("track/<str:token>/", views.track, name="track"),
]
