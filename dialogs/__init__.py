"""Multi-turn dialogs: the engine (one question at a time, state in the database) and the dialogs."""
