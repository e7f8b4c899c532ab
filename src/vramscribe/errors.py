"""Errors a user can act on: one line naming the file, the cause and the fix."""

from __future__ import annotations


class VramscribeError(Exception):
    """`vramscribe: error: <file>: <cause> — <fix>`."""

    def __init__(self, file: object, cause: str, fix: str) -> None:
        self.file, self.cause, self.fix = str(file), cause, fix
        super().__init__(f"vramscribe: error: {self.file}: {cause} — {fix}")


class OutOfMemory(VramscribeError):
    """A stage ran out of memory; the rule's retry takes the next smaller setting."""


def is_out_of_memory(exc: BaseException) -> bool:
    """torch's OutOfMemoryError, pyannote's MemoryError, CTranslate2's RuntimeError '... out of memory'."""
    if isinstance(exc, MemoryError):
        return True
    if type(exc).__name__ == "OutOfMemoryError":
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()
