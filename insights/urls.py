from django.urls import path

from . import views

app_name = "insights"

urlpatterns = [
    path("programs/<slug:slug>/health/", views.health, name="health"),
    path("programs/<slug:slug>/brief/", views.brief, name="brief"),
    path("programs/<slug:slug>/brief/questions/<int:pk>/", views.question_action, name="question"),
    path("programs/<slug:slug>/brief/subscription/", views.subscription, name="subscription"),
    path("programs/<slug:slug>/decisions/", views.decision_list, name="decision_list"),
    path("programs/<slug:slug>/decisions/<int:pk>/", views.decision_detail, name="decision_detail"),
    path("me/", views.my_page, name="my_page"),
    path("programs/<slug:slug>/reports/", views.report_list, name="report_list"),
    path("programs/<slug:slug>/reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("programs/<slug:slug>/reports/<int:pk>/reflection/", views.report_reflection, name="report_reflection"),
    path("programs/<slug:slug>/recognition/", views.recognition, name="recognition"),
    path("company/", views.company_directory, name="company_directory"),
    path("company/health/", views.company_health, name="company_health"),
    path("company/issues/", views.company_log, name="company_log"),
    path("company/issues/<int:pk>/", views.company_issue, name="company_issue"),
    path("company/themes/", views.company_themes, name="company_themes"),
]
