"""HTTP side: the citizen phone page, WebRTC signalling and the call records API."""
