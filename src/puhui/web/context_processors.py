from django.conf import settings

from puhui.core.selectors import business_date_current
from puhui.org.roles import ROLE_LABELS


def platform(request) -> dict:
    user = getattr(request, "user", None)
    context = {"puhui_env": settings.PUHUI_ENV}
    if user is not None and user.is_authenticated:
        context["business_date"] = business_date_current()
        context["user_roles"] = [ROLE_LABELS[code] for code in ROLE_LABELS if code in user.role_codes]
    return context
