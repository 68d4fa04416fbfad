"""Web dashboard and JSON API (FastAPI + Jinja2): ``create_app(settings, workspace)``."""
