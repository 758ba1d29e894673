"""`python -m bot` runs the `ticketbot` command line."""

from bot.cli.main import main

main()
