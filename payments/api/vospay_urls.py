"""API routes of the Vospay resources, included by payments/api/urls.py (namespace "api")."""

from django.urls import path

from payments.api import vospay

urlpatterns = [
    path("contracts/", vospay.ContractListApi.as_view(), name="contract-list"),
    path("contracts/<id:pk>/", vospay.ContractDetailApi.as_view(), name="contract-detail"),
]
