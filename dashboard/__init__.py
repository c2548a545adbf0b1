"""Flask dashboard: live tripod view, session control, review, export, settings."""
