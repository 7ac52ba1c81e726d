"""Event names: ``<noun>_<past-tense verb>`` from the route and handler.

``POST /posts`` -> ``post_created``, ``PUT /posts/<id>`` -> ``post_updated``,
``DELETE`` -> ``post_deleted``, ``POST /posts/<id>/like`` -> ``post_liked``.
An action named in the path or the handler wins over the method; the noun is
the last resource named in the path, singular, else the model, else the
handler's own name.
"""

from __future__ import annotations

import re

from posthog_setup.analysis.model import Route

#: Path segments and handler-name words that mean create / update / delete.
_CRUD_WORDS = {
    "new": "created",
    "create": "created",
    "add": "created",
    "edit": "updated",
    "update": "updated",
    "partial_update": "updated",
    "delete": "deleted",
    "destroy": "deleted",
    "remove": "deleted",
}
_METHOD_VERBS = {"POST": "created", "PUT": "updated", "PATCH": "updated", "DELETE": "deleted"}
#: Segments that name no resource.
_NOISE = re.compile(r"^(api|v\d+(\.\d+)?|rest|json|ajax|internal|public|admin|app)$")
_IRREGULAR = {
    "send": "sent",
    "pay": "paid",
    "buy": "bought",
    "sell": "sold",
    "run": "ran",
    "set": "set",
    "reset": "reset",
    "upload": "uploaded",
    "cancel": "canceled",
    "checkout": "checked_out",
    "login": "logged_in",
    "logout": "logged_out",
    "signup": "signed_up",
    "register": "registered",
    "unlike": "unliked",
    "rate": "rated",
    "leave": "left",
    "read": "read",
    "split": "split",
    "write": "written",
}
_DOUBLING = {
    "pin",
    "star",
    "stop",
    "ship",
    "plan",
    "drop",
    "tag",
    "flag",
    "unpin",
    "unstar",
    "ban",
    "unban",
}
#: Verbs recognised as actions in a path segment or handler name.
KNOWN_VERBS = frozenset(
    {
        *_IRREGULAR,
        *_DOUBLING,
        "like", "follow", "unfollow", "publish", "unpublish", "archive", "unarchive", "restore",
        "approve", "reject", "subscribe", "unsubscribe", "complete", "assign", "unassign", "share",
        "invite", "vote", "upvote", "downvote", "close", "reopen", "merge", "refund", "confirm",
        "activate", "deactivate", "import", "export", "submit", "accept", "decline", "join",
        "bookmark", "move", "copy", "duplicate", "enable", "disable", "start", "finish", "report",
        "block", "unblock", "mute", "unmute", "review", "comment", "reply", "renew", "upgrade",
        "downgrade", "transfer", "schedule", "reschedule", "verify", "resend", "mark", "toggle",
        "favorite", "favourite", "watch", "unwatch", "claim", "redeem", "fulfill", "ship", "deliver",
        "process", "retry", "revoke", "rotate", "kick", "promote", "demote", "reorder",
    }
)  # fmt: skip


def past_tense(verb: str) -> str:
    """``like`` -> ``liked``, ``pin`` -> ``pinned``, ``copy`` -> ``copied``, ``send`` -> ``sent``."""
    if verb in _IRREGULAR:
        return _IRREGULAR[verb]
    if verb in _DOUBLING:
        return verb + verb[-1] + "ed"
    if verb.endswith("e"):
        return verb + "d"
    if verb.endswith("y") and len(verb) > 1 and verb[-2] not in "aeiou":
        return verb[:-1] + "ied"
    return verb + "ed"


def singular(word: str) -> str:
    """A resource name in the singular: ``categories`` -> ``category``, ``posts`` -> ``post``."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zzes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "ous")):
        return word[:-1]
    return word


def snake(text: str) -> str:
    """``OrderItem`` / ``order-item`` / ``order item`` -> ``order_item``."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text)
    return re.sub(r"[^a-zA-Z0-9]+", "_", text).strip("_").lower()


def _static_segments(path: str) -> list[str]:
    segments = []
    for segment in path.strip("/").split("/"):
        if not segment or "<" in segment or "{" in segment or "(" in segment:
            segments.append("")  # a parameter: keeps positions, names nothing
            continue
        segments.append(snake(segment))
    return segments


def _verb_from_words(words: list[str]) -> str | None:
    for word in words:
        if word in _CRUD_WORDS:
            return _CRUD_WORDS[word]
        if word in KNOWN_VERBS:
            return past_tense(word)
    return None


def name_parts(route: Route) -> tuple[str, str]:
    """The (noun, verb) an event for ``route`` is named from."""
    segments = _static_segments(route.path)
    handler_words = snake(route.action or route.handler.name).split("_")
    verb: str | None = None
    noun: str | None = None
    # An action segment at the end of the path: /posts/<id>/like, /orders/<pk>/cancel/.
    named = [s for s in segments if s and not _NOISE.match(s)]
    if named and (named[-1] in KNOWN_VERBS or named[-1] in _CRUD_WORDS):
        verb = _verb_from_words([named[-1]])
        named = named[:-1]
    if verb is None:
        verb = _verb_from_words(handler_words)
    action_word = next((w for w in handler_words if w in KNOWN_VERBS), None)
    if verb is None:
        mutating_methods = [m for m in route.methods if m in _METHOD_VERBS]
        verb = _METHOD_VERBS[mutating_methods[0]] if mutating_methods else "changed"
    if named:
        noun = singular(named[-1])
    child = _created_child(route, verb, segments)
    if child is not None:
        noun = child
    if route.model:
        noun = snake(route.model.rsplit(".", 1)[-1])
    if noun is None:
        rest = [w for w in handler_words if w not in _CRUD_WORDS and w not in KNOWN_VERBS]
        if rest:
            noun = singular("_".join(rest))
        elif action_word is not None:
            # A bare action (POST /checkout): the action itself is what happened.
            return action_word, "completed"
        else:
            noun = "item"
    return noun, verb


_WRITTEN_OBJECT = re.compile(r"^([a-z_][a-z0-9_]*)\.(save|insert_one)\(\)")


def _created_child(route: Route, verb: str, segments: list[str]) -> str | None:
    """The object a POST to a detail URL creates (``review.save()`` under ``/products/<slug>/``)."""
    if verb != "created" or not segments or segments[-1] != "":
        return None
    for evidence in route.evidence:
        match = _WRITTEN_OBJECT.match(evidence.detail)
        if match and match.group(1) not in ("form", "serializer", "self", "obj", "instance"):
            return snake(match.group(1))
    return None


def format_event(noun: str, verb: str, style: str = "snake_case") -> str:
    """Join noun and verb in the project's event naming style."""
    words = [*noun.split("_"), *verb.split("_")]
    if style == "noun verb":
        return " ".join(words)
    if style == "Title Case":
        return " ".join(w.capitalize() for w in words)
    if style == "camelCase":
        return words[0] + "".join(w.capitalize() for w in words[1:])
    if style == "kebab-case":
        return "-".join(words)
    return "_".join(words)


def event_name(route: Route, style: str = "snake_case") -> str:
    """The planned event name of a mutating route."""
    noun, verb = name_parts(route)
    return format_event(noun, verb, style)
