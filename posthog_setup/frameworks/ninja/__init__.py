"""Django Ninja: APIs and routers of typed operations, served through Django's URLconf."""
