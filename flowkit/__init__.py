"""The flow engine: one plain-Python implementation of flows/ for the bot (Python 3.10, Rasa's action
server) and the api (Python 3.11). PyYAML, phonenumbers and Babel only — no Rasa, no pydantic, no api — so
both processes import it and cannot drift.

- spec.py: the flow file's shape, read and checked (FlowSpec, Question, Condition, Exit, ...)
- flows.py: loading every flow with its sections, the cross-file checks, the agency variant
- logic.py: conditions, the walk (next question, exit), canonical answers, triage mapping, referral parts
- answers.py: checking complete canonical answers (the agency route), with problem codes
- parse.py: what a person typed as a canonical answer, in their language (or a guess to confirm)
- understand.py: answers in a person's own words: phrasings per choice, stems, misspellings, negation
- choices.py, phone.py, postcode.py, language.py: the shared small rules
- callback.py: the call-back offer's answers; interruptions.py: what every form does when interrupted
- words.py: the bot's words from locales/; text.py: how a message is folded before it is compared
"""
