"""``$exception_list`` in the shape the official SDK sends (outermost exception first)."""

from __future__ import annotations

import linecache
import os
import sys
import sysconfig
import traceback
from types import FrameType, TracebackType
from typing import Any

_MAX_CHAIN = 32
_MAX_FRAMES = 200

_LIBRARY_PATHS = tuple(
    os.path.abspath(path)
    for path in {sysconfig.get_paths().get(key, "") for key in ("stdlib", "platstdlib")}
    if path
)


def _is_in_app(abs_path: str | None) -> bool:
    # The SDK's rule of thumb: installed packages and the standard library are not
    # the application's own code.
    if not abs_path:
        return False
    if "site-packages" in abs_path or "dist-packages" in abs_path:
        return False
    return not abs_path.startswith(_LIBRARY_PATHS)


def _frame(frame: FrameType, lineno: int) -> dict[str, Any]:
    code_path = frame.f_code.co_filename
    abs_path = os.path.abspath(code_path) if code_path else None
    module = frame.f_globals.get("__name__")
    context_line = linecache.getline(code_path, lineno).strip() if code_path else ""
    serialized: dict[str, Any] = {
        "platform": "python",
        "filename": code_path or None,
        "abs_path": abs_path,
        "function": frame.f_code.co_name or "<unknown>",
        "module": module if isinstance(module, str) else None,
        "lineno": lineno,
        "in_app": _is_in_app(abs_path),
    }
    if context_line:
        serialized["context_line"] = context_line
    return serialized


def _traceback_frames(tb: TracebackType | None) -> list[dict[str, Any]]:
    # Oldest call first, the raising frame last, as the SDK orders them.
    frames = [_frame(frame, lineno) for frame, lineno in traceback.walk_tb(tb)]
    return frames[-_MAX_FRAMES:]


def _current_stack_frames() -> list[dict[str, Any]]:
    # An exception that was never raised has no traceback; like the SDK, describe
    # where it was captured instead and mark the stack as synthetic.
    frames = [_frame(frame, lineno) for frame, lineno in traceback.walk_stack(sys._getframe(1))]
    frames.reverse()
    here = os.path.dirname(os.path.abspath(__file__))
    frames = [f for f in frames if not (f["abs_path"] or "").startswith(here)]
    return frames[-_MAX_FRAMES:]


def _exception_chain(exc: BaseException) -> list[tuple[BaseException, str | None]]:
    # Outermost first, then each cause or context, the way Python prints them.
    chain: list[tuple[BaseException, str | None]] = [(exc, None)]
    seen = {id(exc)}
    current = exc
    while len(chain) < _MAX_CHAIN:
        if current.__cause__ is not None:
            nxt, source = current.__cause__, "__cause__"
        elif current.__context__ is not None and not current.__suppress_context__:
            nxt, source = current.__context__, "__context__"
        else:
            break
        if id(nxt) in seen:
            break
        seen.add(id(nxt))
        chain.append((nxt, source))
        current = nxt
    return chain


def _message(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:
        return f"<unprintable {type(exc).__name__}>"


def build_exception_list(exc: BaseException) -> list[dict[str, Any]]:
    """Describe ``exc`` and its causes as the ``$exception_list`` property."""
    entries: list[dict[str, Any]] = []
    for index, (item, source) in enumerate(_exception_chain(exc)):
        synthetic = item.__traceback__ is None and index == 0
        frames = _current_stack_frames() if synthetic else _traceback_frames(item.__traceback__)
        mechanism: dict[str, Any] = {"exception_id": index, "synthetic": synthetic}
        if index == 0:
            mechanism.update(type="generic", handled=True)
        else:
            mechanism.update(type="chained", parent_id=index - 1, source=source)
        kind = type(item)
        entry: dict[str, Any] = {
            "mechanism": mechanism,
            "module": kind.__module__,
            "type": kind.__qualname__,
            "value": _message(item),
        }
        if frames:
            entry["stacktrace"] = {"type": "raw", "frames": frames}
        entries.append(entry)
    return entries
