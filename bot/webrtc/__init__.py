"""WebRTC specifics for the browser phone (ICE address selection)."""
