"""Triage (SPEC §2): routing model, acceptance scope, importance and entity rules, the facade.
The routing model's CLI (`complaintdesk model …`) and the dispatchers' training examples.
"""
