from django.urls import path

from casework.stats.api import views

urlpatterns = [
    path("stats/summary/", views.SummaryView.as_view(), name="stats-summary"),
    path("stats/units/", views.UnitsView.as_view(), name="stats-units"),
    path("stats/trend/", views.TrendView.as_view(), name="stats-trend"),
    path("stats/breakdown/", views.BreakdownView.as_view(), name="stats-breakdown"),
    path("stats/cases/", views.CasesView.as_view(), name="stats-cases"),
    path("stats/cases/<int:case_pk>/", views.CaseView.as_view(), name="stats-case"),
    path("stats/open-cases/", views.OpenCasesView.as_view(), name="stats-open-cases"),
    path("stats/map/", views.MapView.as_view(), name="stats-map"),
]
