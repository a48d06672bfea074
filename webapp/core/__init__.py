"""The core: depends on nothing else in Herald. ORM base and UTC type, time and recurrence, backoff, domain
errors, stored sentences in each reader's language (phrases), field validation, search qualifiers, signals.
"""
