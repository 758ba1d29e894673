"""Platform-neutral cards: pure builders (data in, Card out) and one renderer per platform format."""
