"""Telecom adapters: account look-ups (CRM, prepaid, AAA, HLR), file importers, stand-in."""
