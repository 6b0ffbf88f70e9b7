"""The audit log (SPEC §5): entries in a keyed (HMAC) chain written with what they record.
Verification names the first edited, inserted, deleted or unreadable entry, and checks an
anchor kept outside the database; `complaintdesk audit verify|anchor|rekey`.
"""
