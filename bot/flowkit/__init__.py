"""The bot's own small reader of flows/ and locales/: which question comes next, what an answer means, and
the referral it builds. Plain Python 3.10 with PyYAML, phonenumbers and Babel only — no Rasa, no api — so
the action server uses it and the api's tests can check it against the api's own flow code.
"""
