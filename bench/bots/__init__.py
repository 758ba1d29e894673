"""The bare baselines: servers that do nothing but echo (or write one row), to divide our figures by."""
