"""The pages people read: the web chat page, health, and (later) staff, public and Open311 pages."""
