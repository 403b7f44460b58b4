"""Machine-readable exports in the reference's wire forms: the RFC-006 recognition graph and
connectome view (`connectome`), RFC-003 v1 trust bundles (`bundle`), and the roll call
(`roll_call`). Pure functions from a `Verification` to JSON-ready dicts; writing is the caller's."""
