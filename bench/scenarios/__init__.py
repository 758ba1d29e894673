"""One module per benchmark scenario; each registers itself with `bench.registry.register`."""
