"""The codes context."""
