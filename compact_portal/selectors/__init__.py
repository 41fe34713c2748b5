"""Project-wide reads (selectors) that belong to no single app: the audit trail (``audit``)."""
