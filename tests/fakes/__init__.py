"""Fakes of outside services that speak their documented protocols (for tests and the local cloud)."""
