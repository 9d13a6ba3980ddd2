from django.urls import path

from linkanalysis.api import views

urlpatterns = [
    path("cases/<int:case_pk>/graph/", views.RoomNetworkView.as_view(), name="case-graph"),
    path("cases/<int:case_pk>/key-players/", views.KeyPlayersView.as_view(),
         name="case-key-players"),
    path("cases/<int:case_pk>/series/", views.SeriesView.as_view(), name="case-series"),
    path("cases/<int:case_pk>/groups/", views.GroupsView.as_view(), name="case-groups"),
    path("cases/<int:case_pk>/deep-dig/", views.DeepDigView.as_view(), name="case-deep-dig"),
    path("graph/expand/", views.ExpandView.as_view(), name="graph-expand"),
    path("graph/paths/", views.PathsView.as_view(), name="graph-paths"),
]
