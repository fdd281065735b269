"""The ASGI entry point the server imports in each worker: settings from the environment."""

from healthcode.web.app import create_app

app = create_app()
