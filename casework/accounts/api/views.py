"""Authentication and organisation endpoints."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.accounts import selectors, services
from casework.accounts.api.serializers import (
    MeSerializer,
    TicketResponseSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
    UnitSerializer,
    UserListSerializer,
)
from casework.accounts.lockout import MESSAGE
from casework.accounts.models import Unit


class TokenView(APIView):
    """Exchange a username and password for an expiring API token.

    Failed attempts are counted per username and address (django-axes); after
    LOGIN_FAILURE_LIMIT failures the pair is refused with 429 for LOGIN_COOLOFF_MINUTES.
    A success resets the count.
    """

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(request=TokenRequestSerializer, responses=TokenResponseSerializer,
                   auth=[])
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        django_request = request._request
        user = authenticate(django_request, **serializer.validated_data)
        if getattr(django_request, "axes_locked_out", False):
            return Response({"detail": MESSAGE}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        if user is None or not user.is_active:
            return Response({"detail": "Wrong username or password."},
                            status=status.HTTP_401_UNAUTHORIZED,
                            headers={"WWW-Authenticate": "Token"})
        # tell axes (reset the failure count) and Django (last_login) that this succeeded
        user_logged_in.send(sender=user.__class__, request=django_request, user=user)
        instance, token = services.issue_api_token(
            user=user, client=request.META.get("HTTP_USER_AGENT", ""))
        return Response({"token": token, "expiry": instance.expiry})


class WsTicketView(APIView):
    """A single-use ticket for one WebSocket handshake (`?ticket=`), valid 60 s."""

    @extend_schema(request=None, responses={201: TicketResponseSerializer})
    def post(self, request):
        ticket = services.issue_ws_ticket(user=request.user)
        return Response({"ticket": ticket.key, "expires_at": ticket.expires_at},
                        status=status.HTTP_201_CREATED)


class LogoutTokenView(APIView):
    """Revoke the token this request was made with."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        if request.auth is not None and hasattr(request.auth, "token_key"):
            services.revoke_api_token(actor=request.user, token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(generics.RetrieveAPIView):
    serializer_class = MeSerializer

    def get_object(self):
        return self.request.user


@extend_schema(parameters=[OpenApiParameter("search", str, description="Call sign")])
class UnitListView(generics.ListAPIView):
    """Units of the user's own bureau tree."""

    serializer_class = UnitSerializer
    search_fields = ["call_sign"]

    def get_queryset(self):
        return selectors.units_visible_to(self.request.user)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        qs = selectors.units_visible_to(self.request.user)
        context["parent_ids"] = dict(qs.values_list("path", "id"))
        return context


class UnitDetailView(generics.RetrieveAPIView):
    serializer_class = UnitSerializer

    def get_queryset(self):
        return selectors.units_visible_to(self.request.user)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        unit = self.get_object()
        if unit.depth > 1:
            context["parent_ids"] = dict(Unit.objects.filter(
                path=unit.path[: -unit.steplen]).values_list("path", "id"))
        return context


@extend_schema(parameters=[
    OpenApiParameter("search", str, description="Username or display name"),
    OpenApiParameter("username", str, description="Exact username"),
])
class UserListView(generics.ListAPIView):
    """People of the user's bureau tree (to add them to a room)."""

    serializer_class = UserListSerializer
    search_fields = ["username", "display_name"]

    def get_queryset(self):
        qs = selectors.users_visible_to(self.request.user)
        username = self.request.query_params.get("username")
        return qs.filter(username=username) if username else qs
