"""Review cycles: planning each cycle's uitvragen, the reminder and escalation ladder, and the worker that runs them.

`planner.plan_cycles` and `sweep.sweep` are plain functions over a session and an explicit `now`; the CLI commands
(`bot cycle plan`, `bot sweep`) and the worker's tick (`bot worker`) only call them.
"""
