"""Evaluation (SPEC §8): unit scoring, hotline KPIs, handler competency, reports and charts.
Formulas are pure; KPI figures are counted in SQL with drill-downs from the same conditions.
"""
