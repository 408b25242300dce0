"""Placeholder module, replaced by the prevention work in progress."""

urlpatterns: list = []
