"""Screens of the reports app: the public journey and mailbox (public.py), staff intake and queue (staff.py)."""
