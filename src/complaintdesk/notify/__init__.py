"""Notifications through a transactional outbox, delivered by e-mail (SMTP) or SMS gateway.
The outbox table, its delivery with retry and back-off, and the admin routes and CLI.
"""
