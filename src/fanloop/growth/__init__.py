"""Growth: outside channels and their imports, replies back out, campaigns, referrals and growth metrics."""
