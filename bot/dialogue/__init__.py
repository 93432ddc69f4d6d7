"""The conversational brain: an engine turns caller utterances into the bot's replies."""
