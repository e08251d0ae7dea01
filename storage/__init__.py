"""Everything that reads or writes the database: tables, typed query/command functions, migrations.

Nothing outside this package writes SQL. Functions take an explicit session and keyword-only arguments.
"""
