"""Who may use the console and the API: users, tokens, roles, sessions and the audit log."""
