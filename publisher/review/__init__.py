"""Review: a semantic diff of trust between two commits, for a pull request.

`collect` reads git (only the changed paths and the folders of the sovereigns they touch),
`analysis` is pure (documents and findings at both commits in, ranked `Change`s out),
`render` writes the markdown comment and the JSON report.
"""
