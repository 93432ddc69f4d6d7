"""Speech services for the per-call pipeline: VAD, streaming ASR and TTS."""
