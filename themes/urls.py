from django.urls import path

from . import views

app_name = "themes"

urlpatterns = [
    path("programs/<slug:slug>/themes/", views.theme_list, name="list"),
    path("programs/<slug:slug>/themes/new/", views.theme_create, name="create"),
    path("programs/<slug:slug>/themes/<int:pk>/", views.theme_detail, name="detail"),
    path("programs/<slug:slug>/themes/<int:pk>/edit/", views.theme_edit, name="edit"),
    path("programs/<slug:slug>/themes/<int:pk>/fix/", views.theme_move, name="move"),
    path(
        "programs/<slug:slug>/themes/<int:pk>/issues/<int:issue_pk>/remove/",
        views.theme_remove_issue,
        name="remove_issue",
    ),
    path("issues/<int:pk>/add-to-theme/", views.add_from_issue, name="add_from_issue"),
    path("themes/add-from-log/", views.add_from_log, name="add_from_log"),
]
