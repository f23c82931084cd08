"""The deadline tracker: policies, deadlines per filing, polite follow-ups, escalation, notifications.

Entry points: ``kameng_filer.tracker.tick.run_pass`` (one pass at a given time) and
``kameng_filer.tracker.daemon.watch`` (passes on an APScheduler scheduler). Importing this package
is cheap; the modules are imported where they are used.
"""
