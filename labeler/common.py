"""What every tab's logic shares: the `UserError` a handler raises and the checkpoint choices.

    raise UserError("Pick a checkpoint first.")        # shown on the page as-is; nothing written
    gr.Dropdown(choices=checkpoint_choices(ctx))        # [("orpo-1 [orpo] (active)", "orpo-1"), ...]
"""

from __future__ import annotations


class UserError(ValueError):
    """Bad input from the page: the message is shown as-is, nothing was written."""


def checkpoint_choices(ctx) -> list[tuple[str, str]]:
    """(label, name) per checkpoint, newest last; the label shows kind and the active mark."""
    active = ctx.models.name(ctx.models.active())
    out = []
    for path, manifest in ctx.models.list():
        name = ctx.models.name(path)
        mark = " (active)" if name == active else ""
        out.append((f"{name} [{manifest.get('kind', '?')}]{mark}", name))
    return out
