"""Assembles the v1 API from each app's router (imported once, so routers attach once)."""

from puhui.core.api import api
from puhui.credit.api import router as credit_router
from puhui.households.api import router as households_router
from puhui.kpi.api import router as kpi_router
from puhui.org.api import router as org_router

# The money operations are the most requested: their router first, so URL resolving meets them first.
api.add_router("/", credit_router)
api.add_router("/", org_router)
api.add_router("/", households_router)
api.add_router("/", kpi_router)

__all__ = ["api"]
