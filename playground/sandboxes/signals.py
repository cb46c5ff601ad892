"""What happens to a sandbox as a whole, for whoever must know (the live event bus publishes them).

Sent inside the transaction that made the change: a receiver that publishes does so on commit.

    clock_changed(sender=Sandbox, sandbox=..., clock=...)   paused, resumed, sped up or advanced
    sandbox_was_reset(sender=Sandbox, sandbox=..., now=...) every resource deleted
"""

from __future__ import annotations

from django.dispatch import Signal

clock_changed = Signal()
sandbox_was_reset = Signal()
