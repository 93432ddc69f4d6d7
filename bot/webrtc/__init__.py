"""WebRTC: the browser phone's transport (transport.py) and ICE address selection (ice.py)."""
