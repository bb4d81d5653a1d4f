"""Campaigns: what they listen for, who took part, what they brought in."""
