"""Credit-line pages: filled in by the credit pages work."""

urlpatterns: list = []
