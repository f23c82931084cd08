"""SLA / deadline policies per channel (shipped as kameng_filer.schedules)."""
