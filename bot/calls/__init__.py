"""Per-call records: turns with timestamps (Redis) and a two-channel WAV recording (disk)."""
