"""`railbook operators …`: the people who sign in to the console."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from railbook.cli.common import database, fail

app = typer.Typer(help="Console operators.", no_args_is_help=True)


@app.command()
def create(
    name: Annotated[str, typer.Argument(help="the operator's sign-in name")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password from stdin")] = False,
) -> None:
    """Create an operator; the password (asked twice, or read from stdin) is stored only as an argon2 hash."""
    from railbook.console import operators

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with database().transaction() as session:
            operators.create(session, name.strip(), password)
    except operators.OperatorExists as exc:
        raise fail(f"an operator called {exc} exists already") from exc
    except ValueError as exc:
        raise fail(str(exc)) from exc
    typer.echo(f"operator {name.strip()} created; sign in at /console")
