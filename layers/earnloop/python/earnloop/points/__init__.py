"""The points context."""
