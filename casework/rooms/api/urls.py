from django.urls import path
from rest_framework.routers import SimpleRouter

from casework.rooms.api import access_requests, views

router = SimpleRouter()
router.register("cases", views.CaseViewSet, basename="case")

members = views.MemberViewSet.as_view({"get": "list", "post": "create"})
member = views.MemberViewSet.as_view({"patch": "partial_update", "delete": "destroy"})
messages = views.MessageViewSet.as_view({"get": "list", "post": "create"})

urlpatterns = [
    *router.urls,
    path("cases/<int:case_pk>/members/", members, name="case-members"),
    path("cases/<int:case_pk>/members/<int:pk>/", member, name="case-member"),
    path("cases/<int:case_pk>/messages/", messages, name="case-messages"),
    path("cases/<int:case_pk>/timeline/", views.TimelineView.as_view(), name="case-timeline"),
    path("access-requests/", access_requests.AccessRequestListView.as_view(),
         name="access-requests"),
    path("access-requests/<int:pk>/grant/", access_requests.AccessGrantView.as_view(),
         name="access-request-grant"),
    path("access-requests/<int:pk>/refuse/", access_requests.AccessRefuseView.as_view(),
         name="access-request-refuse"),
]
