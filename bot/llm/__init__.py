"""The one LLM client (OpenAI-compatible HTTP) and the embedded llama.cpp server it defaults to."""
