"""`python -m bot` runs the `ticketbot` command line."""

from bot.cli.start import main

main()
