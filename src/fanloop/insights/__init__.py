"""Insights: pain points mined from complaints, similar posts and sentiment, in Chinese and English."""
