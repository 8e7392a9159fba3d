"""Pages the api serves to people in a browser: the web chat (`/chat`), its script and style sheet."""
