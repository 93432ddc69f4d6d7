"""Outbound satisfaction-callback campaigns (回访): contacts, calling windows, the dialer."""
