"""Operations across records: bulk actions, import/export, backup/restore, retention, analytics, the audit trail,
dashboard and Prometheus figures, diagnostics.
"""
