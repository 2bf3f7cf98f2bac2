from django.urls import path

from . import views

app_name = "insights"

urlpatterns = [
    path("programs/<slug:slug>/health/", views.health, name="health"),
    path("programs/<slug:slug>/brief/", views.brief, name="brief"),
    path("programs/<slug:slug>/brief/questions/<int:pk>/", views.question_action, name="question"),
    path("programs/<slug:slug>/brief/subscription/", views.subscription, name="subscription"),
]
