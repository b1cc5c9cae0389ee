import markdown
import nh3
from django import template
from django.utils.safestring import mark_safe

from meditrack.reports.facts import fmt

register = template.Library()


@register.filter
def num(value):
    """A fact as the report writes it (no trailing zeros; — for none)."""
    return fmt(value)


@register.filter
def signed(value):
    return fmt(value, signed=True)


@register.filter
def narrative_html(text: str):
    """The narrative's Markdown as safe HTML: formatting kept, scripts and links dropped."""
    html = markdown.markdown(text or "", extensions=["sane_lists"])
    return mark_safe(nh3.clean(html, tags={"p", "strong", "em", "ul", "ol", "li", "br"}))
