"""Demo data for `make run`: the hotline org tree, users and real sample complaints.
The telecom demo (`complaintdesk demo --telecom`) beside it.
"""
