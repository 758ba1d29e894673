"""HTTP APIs other systems call: the PSA ticket hook (`/hooks/tickets`)."""
