"""Telecom pre-processing (SPEC §7): diagnosis, levels 1 and 2, branch dispatch, review, KPIs.
Knowledge sources (alarms, blind spots, scripts), account look-ups and their stand-in.
"""
