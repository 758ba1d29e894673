"""The `ticketbot` command line (Typer), one module per resource."""
