"""URL configuration (composition root)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from casework.bundles.views import BundleView
from casework.core.views import healthz, not_found
from casework.dispatch import views as dispatch_views
from casework.rooms import views as room_views
from casework.stats import views as stats_views

api = [
    path("", include("casework.accounts.api.urls")),
    path("", include("casework.rooms.api.urls")),
    path("", include("casework.evidence.api.urls")),
    path("", include("casework.entities.api.urls")),
    path("", include("casework.dispatch.api.urls")),
    path("", include("casework.stats.api.urls")),
    path("", include("linkanalysis.api.urls")),
    path("cases/<int:case_pk>/bundle/", BundleView.as_view(), name="case-bundle"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

handler404 = not_found

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/", include(api)),
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True),
         name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("", room_views.case_list, name="home"),
    path("cases/<int:case_id>/", room_views.case_room, name="case-room"),
    path("terminal/", dispatch_views.terminal, name="terminal"),
    path("terminal/sw.js", dispatch_views.terminal_service_worker, name="terminal-sw"),
    path("dashboard/", stats_views.dashboard, name="stats-dashboard"),
]
