"""Channels: bringing mentions in (webhook, import) and replies back out (connectors)."""
