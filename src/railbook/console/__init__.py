"""The operator console: review queue, account pages and decisions, deliveries, tokens; signed-in operators only."""
