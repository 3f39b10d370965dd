"""Familienlotse: the multilingual assistant that brings families to local offers and human Lotsen."""

import os

# python-telegram-bot 22 moves retry_after and similar fields to timedelta; we handle both, so opt in now
# (set before telegram is imported anywhere; it silences the deprecation warning in every process).
os.environ.setdefault("PTB_TIMEDELTA", "1")
