from django.urls import path

from casework.entities.api import views

urlpatterns = [
    path("cases/<int:case_pk>/entities/", views.EntityListView.as_view(), name="entity-list"),
    path("cases/<int:case_pk>/entities/merge/", views.MergeView.as_view(),
         name="entity-merge"),
    path("cases/<int:case_pk>/entities/merges/<int:pk>/undo/", views.UndoMergeView.as_view(),
         name="entity-unmerge"),
    path("cases/<int:case_pk>/links/", views.LinkListView.as_view(), name="link-list"),
    path("cases/<int:case_pk>/imports/", views.ImportCreateView.as_view(),
         name="import-create"),
    path("imports/<int:pk>/", views.ImportStatusView.as_view(), name="import-status"),
    path("search/", views.SearchView.as_view(), name="search"),
]
