"""Channels and delivery: channel adapters, the conversation runner, the worker and the CLI."""
