from django.urls import path

from linkanalysis.api import views

urlpatterns = [
    path("cases/<int:case_pk>/key-players/", views.KeyPlayersView.as_view(),
         name="case-key-players"),
]
