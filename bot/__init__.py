"""12345 hotline voice bot: the conversational side (config, speech, dialogue, calls, API)."""
