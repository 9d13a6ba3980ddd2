from django.urls import path

from casework.dispatch.api import views

urlpatterns = [
    path("cases/<int:case_pk>/instructions/", views.CaseInstructionsView.as_view(),
         name="case-instructions"),
    path("cases/<int:case_pk>/suggest-units/", views.SuggestUnitsView.as_view(),
         name="case-suggest-units"),
    path("cases/<int:case_pk>/dispatch-units/", views.CaseDispatchUnitsView.as_view(),
         name="case-dispatch-units"),
    path("cases/<int:case_pk>/arrests/", views.CaseArrestsView.as_view(), name="case-arrests"),
    path("cases/<int:case_pk>/recoveries/", views.CaseRecoveriesView.as_view(),
         name="case-recoveries"),
    path("instructions/<int:pk>/", views.InstructionView.as_view(), name="instruction-detail"),
    path("instructions/<int:pk>/cancel/", views.InstructionCancelView.as_view(),
         name="instruction-cancel"),
    path("assignments/<int:pk>/ack/", views.AssignmentAckView.as_view(),
         name="assignment-ack"),
    path("assignments/<int:pk>/status/", views.AssignmentStatusView.as_view(),
         name="assignment-status"),
    path("assignments/<int:pk>/photos/", views.AssignmentPhotosView.as_view(),
         name="assignment-photos"),
    path("assignments/<int:pk>/reassign/", views.AssignmentReassignView.as_view(),
         name="assignment-reassign"),
    path("units/<int:pk>/position/", views.UnitPositionView.as_view(), name="unit-position"),
    path("units/<int:pk>/assignments/", views.UnitAssignmentsView.as_view(),
         name="unit-assignments"),
]
