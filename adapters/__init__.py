"""Platform adapters: each translates one platform's payloads to the core's events and renders its replies."""
