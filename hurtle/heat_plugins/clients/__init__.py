"""Heat client plugins (``heat.clients`` entry points) and their custom
constraints (``heat.constraints`` entry points)."""
