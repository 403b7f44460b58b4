"""Drive the Genesis Mesh reference (genesis-mesh 1.8.1) to build the interop corpus.

Runs only inside .venv-ref (Python 3.12, genesis_mesh importable); Handshake's own
tests never import it. `reference_tool.py` is the entry point.
"""
