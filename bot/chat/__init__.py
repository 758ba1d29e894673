"""The conversation core: the event pipeline, the command and action tables, the parser."""
