"""`railbook accounts …`: operator review of external accounts."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from railbook.cli.common import database, fail

app = typer.Typer(help="External accounts (operator actions).", no_args_is_help=True)


@app.command()
def review(
    account_id: str,
    reason: Annotated[str, typer.Option(help="why (kept in the audit trail)")],
    approve: Annotated[bool, typer.Option("--approve", help="PENDING/UNDER_REVIEW -> ACTIVE")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="PENDING/UNDER_REVIEW -> INACTIVE")] = False,
    deactivate: Annotated[bool, typer.Option("--deactivate", help="-> INACTIVE")] = False,
    reactivate: Annotated[bool, typer.Option("--reactivate", help="INACTIVE -> ACTIVE")] = False,
) -> None:
    """Decide an account's review; the platform gets EXTERNAL_ACCOUNT.STATUS_UPDATED."""
    from railbook.external_accounts.operator import Decision, DecisionRefused, decide

    chosen = [
        decision
        for decision, flag in (
            (Decision.APPROVE, approve),
            (Decision.REJECT, reject),
            (Decision.DEACTIVATE, deactivate),
            (Decision.REACTIVATE, reactivate),
        )
        if flag
    ]
    if len(chosen) != 1:
        raise fail("give exactly one of --approve, --reject, --deactivate, --reactivate")
    if not reason.strip():
        raise fail("--reason must not be empty")
    try:
        with database().transaction() as session:
            account = decide(session, account_id, chosen[0], reason=reason, actor=f"operator:{getpass.getuser()}")
            status = account.status
    except DecisionRefused as exc:
        raise fail(str(exc)) from None
    typer.echo(f"{account_id} is now {status}")


@app.command()
def audit(account_id: str) -> None:
    """Show an account's status changes, then its ownership proofs (never a signature itself)."""
    from railbook.external_accounts.operator import history
    from railbook.ownership.service import proofs

    with database().reading() as session:
        changes = history(session, account_id)
        challenges = proofs(session, account_id)
    if not changes:
        raise fail(f"no history for {account_id}")
    for change in changes:
        typer.echo(
            "\t".join(
                [
                    change.created_at.isoformat(),
                    change.from_status or "-",
                    change.to_status,
                    change.actor,
                    change.reason or "",
                ]
            )
        )
    if challenges:
        typer.echo("ownership proofs:")
    for challenge in challenges:
        # The signature's digest identifies the proof; the signature is kept nowhere.
        fingerprint = f"signature sha256:{challenge.signature_digest[:16]}" if challenge.signature_digest else ""
        completed = challenge.completed_at.isoformat() if challenge.completed_at else "-"
        fields = [challenge.created_at.isoformat(), challenge.method, challenge.state, completed]
        typer.echo("\t".join([*fields, challenge.outcome or "", fingerprint, challenge.requested_by]))
