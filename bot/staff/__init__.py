"""The staff area: sign-in by mailed link, overview, the uitvraag page and its actions, exports.

The blueprint is `bot.staff.blueprint.bp` (under `/staff/`), assembled with its route modules in `bot.staff.web`;
business logic is in `actions`, `queries`, `detail`, `exports` and `signin`, as plain functions taking the session
and `now`.
"""
