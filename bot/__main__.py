"""`python -m bot` runs the `ticketbot` command line."""

from bot.cli import main

main()
