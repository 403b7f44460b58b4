"""Authoring: create and change a sovereign's trust material (the edge that writes).

Stage: plan -> check -> write. Each operation reads the repository, builds the documents it
changes in memory (`publisher.authoring.documents`), and hands a `Plan` (repo-relative path ->
bytes) to `publisher.authoring.writer.apply`, which refuses private material, older documents
over newer ones and any change that makes verification worse, writes atomically, and verifies
again on disk. Private keys are only ever read (`publisher.authoring.keys`), from outside every
git work tree; nothing here writes key material into a repository or a site.
"""
from __future__ import annotations


class AuthoringError(Exception):
    """A refused authoring operation; the message says what was refused and why.

    `findings` carries the verification findings that caused the refusal, if any.
    """

    def __init__(self, message: str, findings: tuple[object, ...] = ()) -> None:
        super().__init__(message)
        self.findings = findings


__all__ = ["AuthoringError"]
