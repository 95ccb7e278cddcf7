"""The sweep: reminders to suppliers, escalations to contract owners and CISOs, and evidence renewal requests.

Every step is an LadderStep row, unique per (uitvraag, step, recipient), written in the same transaction as the
mail it causes, so each step happens once however often (or however many times at once) the sweep runs:

- `reminder-<days>:<deadline>` (supplier): REMINDER_DAYS before the deadline (default 14 and 3), with a fresh
  link. A sweep that finds several windows open sends only the most urgent; none is sent for a window that had
  already begun when the uitvraag was sent.
- `owner-overdue:<deadline>` (owner): the deadline passed without a submission.
- `ciso-overdue:<deadline>` (ciso): CISO_ESCALATION_DAYS after that, to the organisation's CISO(s) (or, when it
  has none, its administrators).
- `owner-findings` (owner): a submission whose open findings meet the count rule (ladder.escalation_due:
  default one critical, or three high, or one high still open HIGH_FINDING_DAYS after it was found).
- `ciso-findings` (ciso): an open critical finding, in the same sweep as the owners; or open high findings that
  nobody accepted or resolved CISO_ESCALATION_DAYS after the owners were told.
- `owner-findings:lapsed-<date>` (owner): findings accepted as a risk until <date> count again after it;
  `ciso-findings:lapsed-<date>` (ciso) as well when one of them is critical.
- `evidence-expiring:<question>:<sha256 prefix>` (supplier) and `evidence-lapsed:...` (owner): see renewal.py.

Steps that carry a deadline happen again after the deadline is extended. Owners and CISOs get ONE digest mail per
sweep listing all their new items (digest.py). Uitvragen whose contracts have all ended are left alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.cycles import digest, ladder, reminders, renewal
from bot.cycles.context import SweepContext, SweepReport
from bot.cycles.facts import FactsReader

__all__ = ["SweepReport", "sweep"]


def sweep(*, session: Session, config: Mapping[str, Any], now: datetime, batch_size: int = 1000) -> SweepReport:
    """Take every reminder and escalation step that is due at `now`, once; commits per batch."""
    context = SweepContext(session, config, now, SweepReport(), FactsReader(session), batch_size)
    reminders.send_reminders(context)
    ladder.escalate_overdue(context)
    ladder.escalate_findings(context)
    renewal.request_renewals(context)
    digest.send_digests(context)
    return context.report
