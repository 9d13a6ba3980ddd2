from django import template

from casework.stats.scope import dashboard_in_menu

register = template.Library()
register.filter("dashboard_in_menu", dashboard_in_menu)
