"""Git-aware trust: what changed in a repository's trust material, commit by commit.

Stages: `views` extracts a per-sovereign trust view from documents; `compare` turns two views
(before, after) into `Change`s with levels; `walk` folds a first-parent history through
`compare` (history checks, first-seen roots for `trust.lock`); `changes` lists them for the
change channel; `load` is the only part that reads git (through `publisher.gitrepo`).
This package imports nothing at import time so `publisher.verify` can use `rotation`.
"""
