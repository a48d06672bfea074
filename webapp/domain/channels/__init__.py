"""Channels: publishing destinations with encrypted credentials, and the publishing rules judged in their timezone."""
