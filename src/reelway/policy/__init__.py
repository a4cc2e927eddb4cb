"""What a project may do and what it costs: tiers, plans, prices, periods, relaxed mode."""
