"""Outgoing mail: the outbox (written in the caller's transaction), rendering, and delivery transports."""
