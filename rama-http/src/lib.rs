//! rama-http: HTTP for rama, with wire fidelity (in progress).
