"""The statutory clock (SPEC §4): working-day calendar, deadlines, the supervision ladder.
Holiday tables, the sweep that reminds and supervises, `calendar` and `worker` commands.
"""
