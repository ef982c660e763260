"""Pydantic models: the domain, each contract's input and output, and what is stored."""
