"""Customer satisfaction: review sentiment, NPS, CSAT, ratings and complaints."""
