"""Code that runs inside the Rasa server process (not the action server): loaded by `bot/endpoints.yml`."""
