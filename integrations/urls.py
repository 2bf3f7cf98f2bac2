from django.urls import path

from . import views

app_name = "integrations"

urlpatterns = [
    path("programs/<slug:slug>/sources/", views.source_list, name="source_list"),
    path("programs/<slug:slug>/sources/add/", views.source_add, name="source_add"),
    path("programs/<slug:slug>/sources/<int:pk>/", views.source_detail, name="source_detail"),
    path("programs/<slug:slug>/sources/<int:pk>/edit/", views.source_edit, name="source_edit"),
    path("programs/<slug:slug>/sources/<int:pk>/rotate/", views.source_rotate, name="source_rotate"),
    path("programs/<slug:slug>/sources/<int:pk>/delete/", views.source_delete, name="source_delete"),
    path("programs/<slug:slug>/sources/<int:pk>/test/", views.source_test, name="source_test"),
    path("programs/<slug:slug>/email/", views.mail_in, name="mail_in"),
    path("programs/<slug:slug>/email/new-address/", views.mail_in_new_address, name="mail_in_new_address"),
    # The e-mail services' inbound webhooks, no login: each service's signature (anymail checks it) is the key.
    path("mail/<slug:esp>/", views.mail_hook, name="mail_hook"),
    path("programs/<slug:slug>/chat/", views.channel_list, name="channel_list"),
    path("programs/<slug:slug>/chat/add/", views.channel_add, name="channel_add"),
    path("programs/<slug:slug>/chat/<int:pk>/", views.channel_detail, name="channel_detail"),
    path("programs/<slug:slug>/chat/<int:pk>/edit/", views.channel_edit, name="channel_edit"),
    path("programs/<slug:slug>/chat/<int:pk>/delete/", views.channel_delete, name="channel_delete"),
    path("programs/<slug:slug>/chat/<int:pk>/test/", views.channel_test, name="channel_test"),
    path("programs/<slug:slug>/chat/<int:pk>/pause/", views.channel_pause, name="channel_pause"),
    # The tools, no login: the signature (or Freshdesk's token) is the key.
    path("hooks/<str:public_id>/", views.receive, name="receive"),
    path("hooks/<str:public_id>/<str:token>/", views.receive, name="receive_token"),
]
