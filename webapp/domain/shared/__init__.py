"""What every context shares: who is acting, workspace-scoped lookups, the audit record, alerts, deleting with
what depends on it.
"""
