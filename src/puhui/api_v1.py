"""Assembles the v1 API from each app's router (imported once, so routers attach once)."""

from puhui.core.api import api
from puhui.org.api import router as org_router

api.add_router("/", org_router)

__all__ = ["api"]
