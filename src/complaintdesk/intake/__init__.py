"""Every way a complaint comes in (SPEC §1): operator registration, public form, e-mail, import.
Repeats, groups and representatives, attachments and idempotency keys live here too.
"""
