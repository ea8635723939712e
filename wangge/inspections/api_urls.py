"""Inspections' REST endpoints under /api/v1/ (placeholder until written)."""

urlpatterns: list = []
