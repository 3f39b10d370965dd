"""The web pages of the Familienlotse: the offer overview for families, professionals and coordinators."""

from bot.web.overview import create_overview_app

__all__ = ["create_overview_app"]
