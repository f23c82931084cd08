"""Built-in channel adapters (shipped as ``kameng_filer.adapters``; registered by entry points)."""
