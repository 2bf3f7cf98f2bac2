from django.urls import path

from . import views

app_name = "advocacy"

urlpatterns = [
    path("programs/", views.program_list, name="program_list"),
    path("programs/new/", views.program_create, name="program_create"),
    path("programs/<slug:slug>/", views.program_detail, name="program_detail"),
    path("programs/<slug:slug>/settings/", views.program_settings, name="program_settings"),
    path("programs/<slug:slug>/members/", views.member_list, name="member_list"),
    path("programs/<slug:slug>/members/invite/", views.member_invite, name="member_invite"),
    path("programs/<slug:slug>/invitations/<int:pk>/resend/", views.invitation_resend, name="invitation_resend"),
    path("programs/<slug:slug>/invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("programs/<slug:slug>/members/<int:pk>/", views.member_edit, name="member_edit"),
    path("programs/<slug:slug>/members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("programs/<slug:slug>/role/", views.role_detail, name="role_detail"),
    path("programs/<slug:slug>/thanks/", views.thanks_list, name="thanks_list"),
    path("me/thanks/", views.my_thanks, name="my_thanks"),
    path("me/notifications/", views.my_notifications, name="my_notifications"),
    path("me/profile/", views.my_profile, name="my_profile"),
]
