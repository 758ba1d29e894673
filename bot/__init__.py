"""ticketbot: the conversation core, the ticket domain, the aiohttp application and the admin CLI."""
