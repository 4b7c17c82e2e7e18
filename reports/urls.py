from django.urls import path

from reports import views

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("forces/", views.force_list, name="force-list"),
    path("forces/<slug:slug>/", views.force_detail, name="force-detail"),
    path("requests/", views.request_list, name="request-list"),
    path("requests/<slug:slug>/", views.request_detail, name="request-detail"),
    path("methodology/", views.methodology, name="methodology"),
]
