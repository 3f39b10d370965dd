"""Channels at the edge: each turns its input into conversation events and renders the replies."""
