"""The org tree, staff users, roles and sign-in (SPEC "Who uses it", §3).
Units and their materialised paths, argon2 passwords, bearer tokens, the admin user routes.
"""
