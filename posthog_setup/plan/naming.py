"""Event names: ``<noun>_<past-tense verb>`` from the route and handler.

``POST /posts`` -> ``post_created``, ``PUT /posts/<id>`` -> ``post_updated``,
``DELETE`` -> ``post_deleted``, ``POST /posts/<id>/like`` -> ``post_liked``.
An action named in the path or the handler wins over the method; the noun is
the last resource named in the path, singular, else the model, else the
handler's own name.
"""

from __future__ import annotations

import functools
import re

from posthog_setup.analysis.model import HTTP_METHODS, Route
from posthog_setup.analysis.reach import action_link

#: Path segments and handler-name words that mean create / update / delete.
_CRUD_WORDS = {
    "new": "created",
    "create": "created",
    "add": "created",
    "edit": "updated",
    "update": "updated",
    "partial_update": "updated",
    "patch": "updated",
    "delete": "deleted",
    "destroy": "deleted",
    "remove": "deleted",
    "erase": "deleted",
    # ``write_post``: a new post, as people name it; "post_written" says less.
    "write": "created",
}
#: Words that name an action which is itself the event's noun, with its verb.
_ACTION_NOUNS = {"search": "performed"}
_METHOD_VERBS = {"POST": "created", "PUT": "updated", "PATCH": "updated", "DELETE": "deleted"}
#: Path segments that name no resource (``/api/v1/...``).
NO_RESOURCE = re.compile(r"^(api|v\d+(\.\d+)?|rest|json|ajax|internal|public|admin|app)$")
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
    "take": "taken",
    "give": "given",
    "hide": "hidden",
    "unhide": "unhidden",
    "choose": "chosen",
    "withdraw": "withdrawn",
}
_DOUBLING = {
    "submit",
    "commit",
    "admit",
    "permit",
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
    "crop",
    "transfer",
    "refer",
    "untag",
    "unflag",
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
        "process", "retry", "revoke", "rotate", "kick", "promote", "demote", "reorder", "change",
        "regenerate", "request", "refresh", "rename", "unlink", "resolve", "dismiss", "clone",
        "fork", "enroll", "unenroll", "attend", "apply", "lock", "unlock", "collect", "uncollect",
        "authenticate", "reauthenticate", "suspend", "reactivate", "connect", "disconnect",
        "notify", "remind", "pause", "resume", "install", "uninstall", "download", "sync",
        "translate", "convert", "resize", "clear", "purge", "validate", "check",
    }
)  # fmt: skip


def names_action(word: str) -> bool:
    """Is ``word`` a verb event names are made from (``add``, ``delete``, ``publish``)?"""
    return word in _CRUD_WORDS or word in KNOWN_VERBS


#: ``-ify`` and ``-ize`` words of six letters or more are verbs (``classify``, ``authorize``;
#: ``size`` and ``prize`` are too short to be taken).
_VERB_SUFFIX = re.compile(r"^[a-z]{3,}(?:ify|ize)$")


def _as_verb(word: str) -> str | None:
    """The verb ``word`` is, in the present (``unclassify``, ``duplicated`` -> ``duplicate``),
    where it is one: a known verb, an ``-ify`` / ``-ize`` verb, the undoing (``un-``) of
    either, or the past participle of a known verb (``save_uploaded_picture``)."""
    if word in KNOWN_VERBS or _VERB_SUFFIX.match(word):
        return word
    if word.startswith("un") and (word[2:] in KNOWN_VERBS or _VERB_SUFFIX.match(word[2:])):
        return word
    return _PARTICIPLES.get(word)


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


#: ``uploaded`` -> ``upload``: the past participles of the known verbs, which are also
#: verbs in a name (``multiple_articles_action_duplicated``).
_PARTICIPLES = {past_tense(v): v for v in sorted(KNOWN_VERBS) if past_tense(v) != v}


#: Words that end in ``s`` in the singular too.
_SAME_IN_SINGULAR = frozenset(
    {"news", "series", "species", "canvas", "alias", "atlas", "bias", "gas", "sms", "cms",
     "dns", "gps", "os", "ios", "aws", "plus", "analytics", "statistics", "physics",
     "mathematics", "economics", "politics", "ethics", "logistics", "diagnostics"}
)  # fmt: skip


#: Plurals no suffix rule undoes (``shelves``, not ``shelve``).
_IRREGULAR_PLURALS = {
    "shelves": "shelf", "leaves": "leaf", "halves": "half", "wolves": "wolf",
    "knives": "knife", "lives": "life", "wives": "wife", "thieves": "thief",
    "children": "child", "people": "person", "men": "man", "women": "woman",
    "mice": "mouse", "analyses": "analysis", "statuses": "status", "indices": "index",
    "quizzes": "quiz", "buses": "bus", "campuses": "campus",
}  # fmt: skip


def singular(word: str) -> str:
    """A resource name in the singular: ``categories`` -> ``category``, ``posts`` -> ``post``."""
    head, _, last = word.rpartition("_")
    if last in _SAME_IN_SINGULAR:
        return word
    if last in _IRREGULAR_PLURALS:
        return head + "_" * bool(head) + _IRREGULAR_PLURALS[last]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zzes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "ous")):
        return word[:-1]
    return word


def names_an_action(segment: str) -> bool:
    """Does a path segment (snake case) say what is done (``edit``, ``edit_profile``,
    ``disable``) rather than name a resource?"""
    return names_action(segment.split("_", 1)[0])


def snake(text: str) -> str:
    """``OrderItem`` / ``order-item`` / ``order item`` -> ``order_item``."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text)
    return re.sub(r"[^a-zA-Z0-9]+", "_", text).strip("_").lower()


def _static_segments(path: str) -> list[str]:
    segments = []
    for segment in path.strip("/").split("/"):
        if segment in ("?", "$"):
            continue  # a pattern's optional trailing slash (``favorite/?``), or its end
        if not segment or "<" in segment or "{" in segment or "(" in segment:
            segments.append("")  # a parameter: keeps positions, names nothing
            continue
        segments.append(snake(segment))
    return segments


#: Actions whose undoing is said with ``un``: what a DELETE on their path does.
_UNDOABLE = frozenset(
    {"like", "follow", "favorite", "favourite", "star", "pin", "bookmark", "subscribe",
     "watch", "block", "mute", "publish", "archive", "assign", "vote", "flag", "link"}
)  # fmt: skip


def _verb_from_words(words: list[str]) -> str | None:
    for word in words:
        if word in _CRUD_WORDS:
            return _CRUD_WORDS[word]
        verb = _as_verb(word)
        if verb is not None:
            # ``unfavorite``: the undoing of an action is its own outcome.
            return past_tense(verb)
    return None


#: Words that name no domain object: never an event's noun.
_FILLERS = frozenset(
    {
        "item", "items", "index", "generate", "auth", "me", "local", "direct", "standard", "api",
        "view", "views", "action", "actions", "list", "handler", "endpoint", "data", "page",
        "home", "main", "default", "ajax", "multiple", "detail", "details", "new", "save",
        "do", "handle", "get", "set", "post_data", "form", "request", "result", "results",
        "status", "info", "one", "all", "bulk", "single", "entry", "object", "obj", "thing",
        "private", "public", "mine", "own", "current",
    }
)  # fmt: skip
#: Fillers that name nothing even as a path's own segment (``/upload/direct/``), unlike
#: ``/items/`` or ``/entries/``, which may be the project's resource.
_NEVER_A_RESOURCE = frozenset(
    {"index", "auth", "generate", "me", "new", "save", "direct", "local", "standard",
     "default", "main", "home", "single", "multiple", "bulk", "all", "one", "do", "handle",
     "get", "set", "private", "public", "mine", "own", "current"}
)  # fmt: skip
_STOP_WORDS = frozenset({"from", "to", "for", "by", "of", "the", "a", "an", "in", "on", "with",
                         "and", "or", "my", "into", "at", "is"})  # fmt: skip
#: Path parameters that name what a route acts on: ``<username>`` is a user.
_PARAMETER_NOUN = re.compile(r"^(?P<noun>[a-z]+?)(_?(id|pk|name|slug|uuid|key))?$")


@functools.cache
def _never_content(path: bool, compound: bool) -> frozenset[str]:
    """The words ``_content_words`` drops: CRUD words, stop words and fillers (in a path,
    only the fillers that never name a resource, unless the segment is a compound), and
    outside a path every verb."""
    fillers = _FILLERS if compound or not path else _FILLERS & _NEVER_A_RESOURCE
    verbs = frozenset() if path else KNOWN_VERBS
    return frozenset(_CRUD_WORDS) | verbs | fillers | _STOP_WORDS


def _content_words(words: list[str], verb: str | None, *, path: bool = False) -> list[str]:
    """Words that can name the object: no verbs, CRUD words, fillers, stop words, and
    never the verb itself again (``upload_image`` + ``uploaded`` -> ``image``). A path's
    own resource words are kept, fillers or not (``/items/`` names items), and so are its
    words that could be verbs but are not the action (``/rate_limit/`` is a rate limit)."""
    # A compound segment is said in words like a handler's (``multiple_articles_action``
    # names articles); only a segment of one word is the project's own resource word.
    compound = path and len([w for w in words if w]) > 1
    base = _never_content(path, compound)
    doubled = {w for w in words if verb is not None and verb in (w, past_tense(w))}
    return [
        w
        for w in words
        if w
        and w not in base
        and w not in doubled
        and not w.isdigit()
        and (path or _as_verb(w) is None)
    ]


def _parameter_noun(route: Route) -> str | None:
    for name in reversed(route.path_params):
        match = _PARAMETER_NOUN.match(name.lower())
        if match and match.group("noun") not in _FILLERS | {"id", "pk", "uuid", "slug"}:
            return match.group("noun")
    return None


#: Words after which a path's noun is where something went, not what was acted on.
_PREPOSITIONS = frozenset({"to", "from", "into", "in", "on", "for", "with", "at", "of"})
#: What a path parameter is, rather than what it keys (``/confirm/<key>``).
_KEY_WORDS = frozenset({"key", "token", "code", "hash", "signature", "secret", "uid"})

_HELPER_SUFFIX = re.compile(
    r"(Model)?(Form|ModelForm|Serializer|Schema|In|Create|Update|Data)$"
    r"|(?<=[a-z])(Model|Service|Repository|Repo|Crud|Dao)$"
)


def _model_noun(name: str) -> str:
    """``ReviewForm`` writes a review: a form's, serializer's, schema's, service's or
    repository's own noun (``TeamInvitationService`` writes team invitations)."""
    if name == "get_user_model":
        return "user"  # ``model = get_user_model()``: the project's user model
    # ``UserInUpdate``: the suffixes stack (``In`` under ``Update``), each said of a user.
    bare = name
    while (stripped := _HELPER_SUFFIX.sub("", bare)) and stripped != bare:
        bare = stripped
    words = snake(bare).split("_")
    # ``CreateReviewForm`` and ``NewReviewForm`` write a review.
    while len(words) > 1 and words[0] in _CRUD_WORDS:
        words = words[1:]
    return "_".join(words)


def name_parts(route: Route) -> tuple[str, str]:
    """The (noun, verb) an event for ``route`` is named from.

    The noun is the thing written: the view's model, else the model or table the body
    writes, else the last resource the path names, else the handler's own words, else
    what a path parameter names; fillers (``item``, ``index``, ``auth``) never. The verb
    is the action the path or handler names, else the method's create / update / delete;
    where one call turns something on or off (``switch_like``), it was toggled, never
    liked: the same event must not claim opposite outcomes.
    """
    if route.toggles is not None:
        noun, _ = _named_parts(route)
        # What was switched, unless it is the thing itself (``item.done`` toggled: the item).
        toggled = [
            w
            for w in _content_words(route.toggles.split("_"), None, path=True)
            if w not in noun.split("_")
        ]
        return noun, "_".join([*toggled, "toggled"])
    return _named_parts(route)


#: The noun of an action, where it is not the verb itself (a reset, a change).
_NOUN_OF_ACTION = {
    "verify": "verification",
    "confirm": "confirmation",
    "activate": "activation",
    "delete": "deletion",
    "invite": "invitation",
}


def _names_the_action(word: str, verb: str) -> bool:
    """Is ``word`` the action ``verb`` says happened, as a noun (``comment`` / commented,
    ``verification`` / verified, ``registration`` / registered)? Naming both doubles it."""
    if past_tense(word) == verb or word == verb:
        return True
    stem = verb.removesuffix("ied").removesuffix("ed") if verb.endswith("ed") else ""
    shared = next(
        (i for i, (a, b) in enumerate(zip(word, stem, strict=False)) if a != b),
        min(len(word), len(stem)),
    )
    return len(stem) >= 4 and shared >= max(4, len(stem) - 2) and word != stem


#: What class views' names end in: the kind of class, not what it does.
_VIEW_SUFFIX = re.compile(r"(?<=.)(?:Api|API|View|ViewSet|Resource|Controller|Endpoint)+$")
#: Identity events: who did them is always a user.
_IDENTITY_VERBS = frozenset({"logged_in", "logged_out", "signed_up"})
#: Nouns that are identity events themselves: what a user did, never a thing created.
_IDENTITY_NOUNS = {
    "login": "logged_in", "signin": "logged_in", "sign_in": "logged_in",
    "logout": "logged_out", "signout": "logged_out", "sign_out": "logged_out",
    "signup": "signed_up", "sign_up": "signed_up", "registration": "signed_up",
    "register": "signed_up",
}  # fmt: skip


def _handler_name(route: Route) -> str:
    """The name that says what a handler does: a class view's method named for the HTTP
    verb (``FileStandardUploadApi.post``) says nothing, its class does."""
    name = route.action or route.handler.name
    owner = route.handler.class_name
    if name.upper() in HTTP_METHODS:
        # A function named for its method (``def put``) says nothing either.
        return _VIEW_SUFFIX.sub("", owner.rsplit(".", 1)[-1]) if owner else ""
    return name


def _named_parts(route: Route) -> tuple[str, str]:
    noun, verb = _noun_and_verb(route)
    if verb in _IDENTITY_VERBS:
        # ``UserJwtLogoutApi`` logged a user out, not a JWT.
        return "user", verb
    said = "_".join(_content_words(snake(_handler_name(route)).split("_"), None))
    if verb in ("created", "completed") and (noun in _IDENTITY_NOUNS or said in _IDENTITY_NOUNS):
        # ``LoginAPIView.post`` made no login, and ``def login`` completed none: a user
        # logged in.
        return "user", _IDENTITY_NOUNS.get(noun) or _IDENTITY_NOUNS[said]
    if verb == "registered" and noun in ("user", "account", "member"):
        return "user", "signed_up"
    if noun in _ACCOUNT_NOUNS:
        # POST /reset-password writes the user: the password was reset, not the user.
        words = [*_static_segments(route.path)[-1:], snake(_handler_name(route))]
        part = next(
            (singular(w) for w in "_".join(words).split("_") if singular(w) in ACCOUNT_PARTS),
            None,
        )
        noun = part or noun
    elif not route.written:
        # ``def password_reset`` at PUT /tokens/reset, writing nothing of its own: the
        # handler names the part of the account its action changes, the path the means.
        handler = snake(_handler_name(route)).split("_")
        content = _content_words(handler, verb)
        said = singular(content[0]) if len(content) == 1 else ""
        if (
            said in ACCOUNT_PARTS
            and said not in noun.split("_")
            and verb in (past_tense(w) for w in handler if _as_verb(w) is not None)
        ):
            noun = said
    return _acted_on(route, noun, verb) or (noun, verb)


#: Who an account's parts belong to, and the parts an action names on its own.
_ACCOUNT_NOUNS = frozenset({"user", "account", "member", "profile"})
ACCOUNT_PARTS = frozenset({"password", "email", "username", "avatar", "phone"})


#: Records whose creation is an act on another resource: a Like made under
#: ``/posts/<id>/likes`` is a post liked, not a like created.
_ACTS = frozenset(
    {"like", "vote", "upvote", "downvote", "favorite", "favourite", "bookmark", "star", "follow"}
    | {"attempt"}
)


def _acted_on(route: Route, noun: str, verb: str) -> tuple[str, str] | None:
    """``(post, liked)`` for a Like created under ``/posts/<id>/``, ``(post, unliked)`` for
    one deleted there (an act that can be undone; an attempt deleted stays a deletion)."""
    if noun not in _ACTS or verb not in ("created", "deleted"):
        return None
    if verb == "deleted" and noun not in _UNDOABLE:
        return None
    segments = _static_segments(route.path)
    # The resource whose detail path the act's collection hangs under: ``posts`` in
    # ``/posts/<id>/likes``.
    for index in range(len(segments) - 2, 0, -1):
        if segments[index] == "" and segments[index - 1] and singular(segments[index + 1]) == noun:
            owner = singular(segments[index - 1])
            if NO_RESOURCE.match(owner) or owner == noun:
                return None
            return owner, past_tense(noun if verb == "created" else f"un{noun}")
    return None


def _action_at_end(word: str, segments: list[str], handler_words: list[str]) -> bool:
    """Does the path's last named segment say what was done? A create / update / delete
    word always does; a word that may be a verb (``like``, ``comment``) does as the path's
    last segment (``/posts/<id>/like``), but before a parameter it names what that keys
    (``/delete/comment/<id>``), where the handler says the action."""
    if word in _CRUD_WORDS:
        return True
    if _as_verb(word) is None or _selecting_segment(segments) == word:
        return False
    return segments[-1] == word or _verb_from_words(handler_words) is None


def _selecting_participle(words: list[str]) -> int | None:
    """Where a handler's name says which of the things were acted on, not the act: the
    participle that opens it before a word that is no verb (``CompletedTasks``: the
    completed ones, whatever the method did to them) or ends it after its verb
    (``purge_completed``: the completed ones were purged)."""
    if len(words) < 2:
        return None
    if words[0] in _PARTICIPLES and _as_verb(words[1]) is None and words[1] not in _CRUD_WORDS:
        return 0
    if words[-1] in _PARTICIPLES and names_action(words[0]):
        return len(words) - 1
    return None


def _selecting_segment(segments: list[str]) -> str | None:
    """A path that ends in a participle after a collection (``/tasks/completed``): the
    completed tasks, a selection of them, never what was done to them."""
    if len(segments) > 1 and segments[-1] in _PARTICIPLES and segments[-2]:
        return segments[-1]
    return None


def _noun_and_verb(route: Route) -> tuple[str, str]:
    words = snake(_handler_name(route)).split("_")
    at = _selecting_participle(words)
    # ``completed`` in ``CompletedTasks`` says which tasks, not what was done to them.
    unselected = words if at is None else words[:at] + words[at + 1 :]
    noun, verb = _unselected_noun_and_verb(route, unselected)
    segments = _static_segments(route.path)
    if at is None and (selection := _selecting_segment(segments)):
        # ``/tasks/completed``: the collection's own word says how many.
        words, at = [selection, segments[-2]], 0
    if at is None or noun in _IDENTITY_NOUNS or noun.endswith(f"_{words[at]}"):
        return noun, verb
    if at == 0 and singular(words[1]) == noun.rpartition("_")[2]:
        # ``CompletedTasks``: the completed tasks, as many as the name says.
        return f"{words[0]}_{noun if singular(words[1]) == words[1] else plural(noun)}", verb
    if at > 0:
        # ``purge_completed``: the completed ones of what it writes.
        return f"{words[at]}_{plural(noun)}", verb
    return noun, verb


def _unselected_noun_and_verb(route: Route, handler_words: list[str]) -> tuple[str, str]:
    """The noun and verb from the path and ``handler_words`` (the handler's name, less a
    participle that says which records: see ``_noun_and_verb``)."""
    segments = _static_segments(route.path)
    if "forgot" in handler_words or "forgot" in "_".join(segments).split("_"):
        # ``forgot_password`` / ``/forgot-password``: a reset of it is asked for.
        return "password_reset", "requested"
    if (
        len(handler_words) > 1
        and handler_words[-1] == "request"
        and (handler_words[-2] in KNOWN_VERBS or handler_words[-2] in _CRUD_WORDS)
    ):
        # ``password_reset_request``: the action asked for is the noun, and it was requested.
        return "_".join(handler_words[:-1]), "requested"
    if (
        len(handler_words) > 2
        and handler_words[-1] == "request"
        and handler_words[0] in KNOWN_VERBS
    ):
        # ``reset_password_request``: a password reset was requested.
        action = _NOUN_OF_ACTION.get(handler_words[0], handler_words[0])
        return "_".join([*handler_words[1:-1], action]), "requested"
    verb: str | None = None
    # An action segment at the end of the path: /posts/<id>/like, /orders/<pk>/cancel/.
    named = [s for s in segments if s and not NO_RESOURCE.match(s)]
    if named and _selecting_segment(segments) == named[-1]:
        named = named[:-1]  # ``/tasks/completed``: tasks (see ``_noun_and_verb``)
    acted_on: str | None = None
    #: what the handler records, by noun (``Star`` for ``/star``; ``TeamInvitation``)
    records = {_model_noun(w.rsplit(".", 1)[-1]) for w in (*route.written, route.model or "") if w}
    if named and _action_at_end(named[-1], segments, handler_words):
        verb = _verb_from_words([named[-1]])
        at = len(segments) - 1 - segments[::-1].index(named[-1])
        if (
            named[-1] not in _CRUD_WORDS
            and named[-1] not in records  # a Star for /star: the act itself (see _acted_on)
            and len(named) > 1
            and at > 1
            and segments[at - 1] == ""
        ):
            # ``/topics/<pk>/reply``: the action is the topic's (a reply to it), whatever
            # the handler writes to record it (a post).
            words = _content_words(named[-2].split("_"), verb, path=True)
            acted_on = singular("_".join(words)) if words else None
            # ``TeamInvitation`` for ``/invitations/<id>/reject``, ``BookInstance`` for
            # ``/book/<pk>/renew``, ``FlaggedPackage`` for ``/flag/<pk>/approve``: the
            # record's own, fuller name.
            acted_on = next(
                (
                    r
                    for r in sorted(records)
                    if r.endswith(f"_{acted_on}") or r.split("_")[0].startswith(acted_on or "-")
                ),
                acted_on,
            )
        if named[-1] in _UNDOABLE and set(route.methods) == {"DELETE"}:
            # DELETE /articles/<slug>/favorite undoes the favorite: unfavorited, never the
            # same event as the POST that made it (DELETE /mfa/disable still disables).
            verb = past_tense(f"un{named[-1]}")
        named = named[:-1]
    if verb is None:
        verb = _verb_phrase(handler_words) or _verb_from_words(handler_words)
    phrase = named[-1].split("_") if named else []
    if (
        acted_on is None
        and len(phrase) > 1
        and phrase[0] not in _CRUD_WORDS
        and _as_verb(phrase[0]) is not None
        and past_tense(_as_verb(phrase[0]) or "") == verb
        and not set(phrase[1:]) & _PREPOSITIONS
        and not any(w in _PARTICIPLES or w.endswith("ed") for w in phrase[1:])
    ):
        # ``/request-refund/``: what the path says was acted on (a refund) where the
        # handler records that (with the order's flag), or nothing, or it is a thing of
        # the resource the path keys before it (``/recipes/<pk>/upload-image``: the
        # recipe's image); ``/import_bibtex/`` that records documents imports documents.
        words = _content_words(phrase[1:], verb, path=True)
        said = singular("_".join(words)) if words else None
        at = len(segments) - 1 - segments[::-1].index(named[-1])
        keyed_by = (
            _content_words(named[-2].split("_"), verb, path=True)
            if len(named) > 1 and segments[at - 1] == ""
            else []
        )
        if said and keyed_by and said not in ACCOUNT_PARTS:
            acted_on = f"{singular('_'.join(keyed_by))}_{said}"
        elif said and (not records or said in records or said in ACCOUNT_PARTS):
            acted_on = said
    if (
        acted_on is None
        and verb is not None
        and len(segments) > 1
        and segments[-1] == ""
        and _as_verb(segments[-2]) is not None
        and past_tense(_as_verb(segments[-2]) or "") == verb
    ):
        # ``/collect/<int:photo_id>``: the action is on what the parameter keys (a photo),
        # whatever else the handler writes beside it (a notification to its author).
        keyed = _parameter_noun(route)
        acted_on = keyed if keyed not in _KEY_WORDS else None
    helper_words = _helper_words(route)
    if verb is None and not set(helper_words) & _VAGUE_VERBS:
        # ``list_actions`` that calls ``delete_documents()``: the helper says what was done.
        verb = _verb_from_words(helper_words)
    action_word = next((w for w in handler_words if w in KNOWN_VERBS), None)
    # The handler's first word or the path's last: ``search_products``, ``/api/search``;
    # never a word in the middle (``save_generic_search_string`` saves a string).
    performed = next((w for w in [*handler_words[:1], *named[-1:]] if w in _ACTION_NOUNS), None)
    if verb is None and performed is not None:
        # ``def search`` that records something: a search was performed, nothing created.
        return performed, _ACTION_NOUNS[performed]
    if verb is None:
        mutating_methods = [m for m in route.methods if m in _METHOD_VERBS]
        verb = _METHOD_VERBS[mutating_methods[0]] if mutating_methods else "updated"
        if verb == "created" and route.existing_change is not None:
            # A POST that saves what it looked up changed it; nothing was created.
            verb = route.existing_change
    candidates: list[str | None] = [
        acted_on,
        _model_noun(route.model.rsplit(".", 1)[-1]) if route.model else None,
        _model_noun(route.written[0]) if route.written else None,
        _created_child(route, verb, segments),
    ]
    # The path's last resource, then the handler's words and those of the function it
    # writes through, and only then the path's outer segments (``/library/`` is a section
    # of the site, not what ``list_actions`` deleted).
    resources = [
        singular("_".join(words))
        for segment in reversed(named)
        if (words := _content_words(segment.split("_"), verb, path=True))
    ]
    last_named = _content_words(named[-1].split("_"), verb, path=True) if named else []
    if last_named:
        candidates.append(resources.pop(0))
    rest = _content_words(handler_words, verb)
    if (
        rest
        and len(handler_words) > 2
        and _as_verb(handler_words[-2]) is not None
        and past_tense(handler_words[-1]) == verb
    ):
        # ``file_upload_finish``: the verb said last makes the one before it a noun.
        rest.append(handler_words[-2])
    candidates.append(singular("_".join(rest)) if rest else None)
    # ``validate_token()``: what a function is handed to check is no object of the action.
    helped = [w for w in _content_words(helper_words, verb) if w not in _KEY_WORDS]
    candidates.append(singular("_".join(helped)) if helped else None)
    candidates += resources
    if "me" in segments:
        candidates.append("user")  # ``/api/me``: the logged-in user's own record
    if action_link(route.path):
        # ``/confirm/<token>`` mailed to one person: their account is what it confirms.
        candidates.append("account")
    candidates.append(_parameter_noun(route))
    # A resource the path or the code names is the project's own word, even ``items``;
    # only these never name anything.
    never = _FILLERS & {"index", "auth", "generate", "api", "ajax", "me", "new", "save"}
    noun = next((singular(c) for c in candidates if c and c not in never), None)
    if noun in _FILLERS:
        # ``/cart/items/`` written through ``add_cart_item()``: a cart item, not an item.
        helpers = [name.split("_") for name in _written_through(route)]
        noun = next(
            (
                f"{words[i - 1]}_{noun}"
                for words in (handler_words, *helpers)
                for i in range(1, len(words))
                if singular(words[i]) == noun and _content_words([words[i - 1]], verb)
            ),
            noun,
        )
    if noun is None:
        if action_word is not None:
            # A bare action (POST /checkout): the action itself is what happened.
            return action_word, "completed"
        # A class view's words are its class's, whichever method serves the route: the
        # name must not change when edit adds ``form_valid`` to the class.
        owner = route.handler.class_name
        noun = snake((owner or route.handler.name).rsplit(".", 1)[-1]) or "request"
    first, _, tail = noun.partition("_")
    if tail and past_tense(first) == verb:
        # ``TakeQuizForm`` saved, the quiz was taken: the verb is said once.
        noun = tail
    head, _, last = noun.rpartition("_")
    if _names_the_action(last, verb):
        if head:
            # ``email_verification`` verified: the email was verified.
            noun = head
        else:
            # ``make_comment`` writes a Comment: a comment was created, not "commented".
            mutating_methods = [m for m in route.methods if m in _METHOD_VERBS]
            verb = _METHOD_VERBS[mutating_methods[0]] if mutating_methods else "created"
            if verb == "created" and route.existing_change is not None:
                # ``vote`` that deletes the vote it looked up: a vote was deleted.
                verb = route.existing_change
    if "all" in handler_words and noun != "all" and noun == singular(noun):
        # ``mark_all_as_read``: every one of them was.
        noun = plural(noun)
    return noun, verb


#: Verbs that say a helper did something, not what (``set_config``, ``process_form``).
_VAGUE_VERBS = frozenset({"set", "process", "request", "toggle", "change", "mark", "run"})
#: ``delete_documents() writes (...)``: a write reached through a function of the project.
_HELPER_WRITE = re.compile(r"^(?:[A-Za-z_][\w.]*\.)?([a-z_][a-z0-9_]*)\(\) (?:writes|calls)")


def _helper_words(route: Route) -> list[str]:
    """The words of the project function the route's first write goes through, if any: what
    a dispatching handler (``list_actions``, ``handle``) does is said by what it calls."""
    name = next((n for n in _written_through(route) if not n.startswith("_")), None)
    return name.split("_") if name is not None else []


def _written_through(route: Route) -> list[str]:
    """The project functions the route's writes go through, in order."""
    return [
        match.group(1)
        for evidence in route.evidence
        if evidence.kind == "write" and (match := _HELPER_WRITE.match(evidence.detail))
    ]


def _verb_phrase(words: list[str]) -> str | None:
    """``mark_as_read`` -> ``marked_read``: a verb whose object is said with ``as``."""
    words = [w for w in words if w != "all"]
    for index, word in enumerate(words[:-2]):
        said = words[index + 2 :]
        if word in KNOWN_VERBS and words[index + 1] == "as" and all(w.isalpha() for w in said):
            return "_".join([past_tense(word), *said])
    return None


def plural(word: str) -> str:
    """``notification`` -> ``notifications``, ``category`` -> ``categories``."""
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    return word + "s"


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
