from django.urls import path

from casework.evidence.api import views

evidence = views.EvidenceViewSet
urlpatterns = [
    path("cases/<int:case_pk>/evidence/",
         evidence.as_view({"get": "list", "post": "create"}), name="evidence-list"),
    path("cases/<int:case_pk>/evidence/<int:pk>/",
         evidence.as_view({"get": "retrieve"}), name="evidence-detail"),
    path("cases/<int:case_pk>/evidence/<int:pk>/download/",
         evidence.as_view({"get": "download"}), name="evidence-download"),
    path("cases/<int:case_pk>/evidence/<int:pk>/withdraw/",
         evidence.as_view({"post": "withdraw"}), name="evidence-withdraw"),
    path("cases/<int:case_pk>/evidence/<int:pk>/correct/",
         evidence.as_view({"post": "correct"}), name="evidence-correct"),
    path("cases/<int:case_pk>/evidence/<int:pk>/custody/", views.CustodyView.as_view(),
         name="evidence-custody"),
    path("cases/<int:case_pk>/custody/verify/", views.VerifyCustodyView.as_view(),
         name="custody-verify"),
]
