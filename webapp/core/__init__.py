"""The core: depends on nothing else in Herald. ORM base and UTC type, time and recurrence, backoff, domain
errors, field validation, search qualifiers, signals.
"""
