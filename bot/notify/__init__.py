"""Notifications: rules, forwards, the planner that turns ticket events into deliveries, and the outbox."""
