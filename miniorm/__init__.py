"""miniorm: a thin ORM over psycopg 3 (PostgreSQL) and sqlite3.

It imports nothing of the other ministack packages.
"""
