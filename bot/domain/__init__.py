"""The domain: needs, places, offers and matching — plain Python, no Telegram, web or database imports."""
