"""Connectors to external systems (httpx): payer e-billing hubs and patient channels."""
