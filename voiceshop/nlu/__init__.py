"""Understanding: transcripts to intents and typed slots, against the loaded shop."""
