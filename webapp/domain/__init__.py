"""Herald's business rules, one package per bounded context. Each imports only the contexts below it: shared <
accounts < channels < content < publishing < integrations, operations.
"""
