from django.urls import path

from . import views

app_name = "rotations"

urlpatterns = [
    path("programs/<slug:slug>/schedule/", views.schedule, name="schedule"),
    path("programs/<slug:slug>/schedule/plan/", views.plan, name="plan"),
    path("programs/<slug:slug>/schedule/rules/", views.rotation_settings, name="settings"),
    path("programs/<slug:slug>/terms/new/", views.term_add, name="term_add"),
    path("programs/<slug:slug>/terms/<int:pk>/", views.term_detail, name="term_detail"),
    path("programs/<slug:slug>/terms/<int:pk>/edit/", views.term_edit, name="term_edit"),
    path("programs/<slug:slug>/terms/<int:pk>/hand-over/", views.term_handover, name="term_handover"),
    path("programs/<slug:slug>/terms/<int:pk>/cover/", views.cover_add, name="cover_add"),
    path("programs/<slug:slug>/terms/<int:pk>/swap/", views.swap_request, name="swap_request"),
    path("programs/<slug:slug>/covers/<int:pk>/remove/", views.cover_remove, name="cover_remove"),
    path("programs/<slug:slug>/handoffs/<int:pk>/", views.handoff_detail, name="handoff_detail"),
    path("programs/<slug:slug>/swaps/", views.swap_list, name="swap_list"),
    path("programs/<slug:slug>/swaps/<int:pk>/<str:action>/", views.swap_action, name="swap_action"),
    path("programs/<slug:slug>/roster-reviews/<int:pk>/", views.roster_review_resolve, name="roster_review"),
    path("me/rotation/", views.my_rotation, name="my_rotation"),
    path("me/leave/<int:pk>/remove/", views.leave_delete, name="leave_delete"),
    path("me/calendar/", views.calendar_reset, name="calendar_reset"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]
