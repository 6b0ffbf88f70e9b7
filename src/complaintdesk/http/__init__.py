"""The web application: FastAPI app, dependencies, error mapping, templates and sessions.
Feature routers and pages plug in here; they call features, never each other.
"""
