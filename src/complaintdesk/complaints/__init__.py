"""The complaint: its vocabulary, aggregate and state machine, use cases, tables and queries.
Also the staff queue and complaint pages, the action routes, dispatch decisions and publication.
"""
