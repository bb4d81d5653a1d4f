"""Pain points: complaints, bugs and suggestions clustered by meaning, labelled, ranked, and curated by staff."""
