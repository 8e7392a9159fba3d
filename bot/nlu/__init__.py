"""Custom NLU components (Rasa graph components). `interruptions.py` is plain Python, tested without Rasa."""
