"""The audit log (SPEC §5): entries in a hash chain written with what they record.
Verification names the first edited, inserted or deleted entry; `complaintdesk audit`.
"""
