"""SIP telephony for the hotline bot (SIP UA, SDP, RTP, G.711, DTMF, SIP transport, dialer).

Empty until the SIP issue lands; `bot` builds the same per-call pipeline for every transport.
"""
