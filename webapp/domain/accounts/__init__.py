"""Accounts: users and API keys, workspaces and members, invitations, password resets."""
