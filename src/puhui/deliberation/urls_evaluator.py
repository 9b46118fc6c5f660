"""Pages of the deliberation app: the evaluator's phone pages."""

urlpatterns: list = []
