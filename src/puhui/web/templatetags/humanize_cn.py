from django import template

register = template.Library()


@register.filter
def grouped(value) -> str:
    """12345 → '12,345' (thousands separators, as Chinese bank reports print figures)."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return "" if value is None else str(value)
