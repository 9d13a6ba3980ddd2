from django.urls import path

from linkanalysis.api import views

urlpatterns = [
    path("cases/<int:case_pk>/graph/", views.RoomNetworkView.as_view(), name="case-graph"),
    path("cases/<int:case_pk>/key-players/", views.KeyPlayersView.as_view(),
         name="case-key-players"),
]
