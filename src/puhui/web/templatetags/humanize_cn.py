from decimal import Decimal

from django import template

from puhui.core.ids import fen_to_yuan_str

register = template.Library()


@register.filter
def grouped(value) -> str:
    """12345 → '12,345' (thousands separators, as Chinese bank reports print figures)."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return "" if value is None else str(value)


@register.filter
def percent(value, places: int = 1) -> str:
    """Decimal('0.9123') → '91.2%'."""
    try:
        return f"{Decimal(value) * 100:.{int(places)}f}%"
    except (TypeError, ValueError, ArithmeticError):
        return ""


@register.filter
def yuan(fen) -> str:
    """Integer fen → '20,000.00'."""
    try:
        return fen_to_yuan_str(int(fen), grouped=True)
    except (TypeError, ValueError):
        return ""


@register.filter
def get_item(mapping, key):
    """A dict's value in a template: {{ labels|get_item:code }} (the code itself when unknown)."""
    try:
        return mapping.get(key, key)
    except AttributeError:
        return key
