"""Real peers and fixtures shared by the integration tests."""
