"""filing."""
