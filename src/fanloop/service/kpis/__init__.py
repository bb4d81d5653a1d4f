"""KPIs of the rota: replies, first-reply medians, p90 and share within target, per person, team,
board and day."""
