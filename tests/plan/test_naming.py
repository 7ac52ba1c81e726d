"""Event names: <noun>_<past-tense verb> from the route and handler."""

from __future__ import annotations

import dataclasses

import pytest

from posthog_setup.analysis.model import Evidence, Handler, Route
from posthog_setup.plan.naming import event_name, format_event, past_tense, singular
from posthog_setup.plan.plan import names_pii


def route(
    path: str,
    methods: tuple[str, ...],
    handler: str = "view",
    *,
    action: str | None = None,
    model: str | None = None,
) -> Route:
    h = Handler("m", "m.py", handler, 1, 2, 1)
    return Route("flask", path, methods, h, None, 1, True, (), None, action=action, model=model)


@pytest.mark.parametrize(
    ("path", "methods", "handler", "expected"),
    [
        ("/posts", ("POST",), "create", "post_created"),
        ("/posts/<int:id>", ("PUT",), "update", "post_updated"),
        ("/posts/<int:id>", ("DELETE",), "remove", "post_deleted"),
        ("/posts/<int:id>/like", ("POST",), "like", "post_liked"),
        ("/posts/new", ("GET", "POST"), "create", "post_created"),
        ("/posts/<int:post_id>/edit", ("GET", "POST"), "edit", "post_updated"),
        ("/posts/<int:post_id>/delete", ("POST",), "delete", "post_deleted"),
        ("/posts/<int:post_id>/comments", ("POST",), "add_comment", "comment_created"),
        # A record that is an act on its parent: the parent was acted on.
        ("/posts/<int:post_id>/likes", ("POST",), "add_like", "post_liked"),
        ("/posts/<int:post_id>/likes/<int:like_id>", ("DELETE",), "remove", "post_unliked"),
        ("/products/<int:pid>/favorites", ("POST",), "add_favorite", "product_favorited"),
        ("/challenges/<int:cid>/attempts", ("POST",), "create", "challenge_attempted"),
        ("/challenges/<int:cid>/attempts/<int:aid>", ("DELETE",), "remove", "attempt_deleted"),
        ("/api/v1/votes", ("POST",), "create", "vote_created"),
        ("/api/v1/categories/", ("POST",), "handle", "category_created"),
        ("/api/orders/<pk>/cancel/", ("POST",), "cancel", "order_canceled"),
        ("/projects/{project_id}/tasks/{task_id}", ("PATCH",), "patch_task", "task_updated"),
        ("/items/<id>/pin", ("POST",), "pin", "item_pinned"),
        ("/", ("POST",), "create_widget", "widget_created"),
        ("/api/v1/{username}/post", ("POST",), "write_post", "post_created"),
        ("/tier/{tier}/rate_limit/{id}", ("DELETE",), "erase_rate_limit", "rate_limit_deleted"),
        ("/auth/change-password", ("POST",), "change_password", "password_changed"),
        ("/api/access/forgot-password", ("POST",), "forgot_password", "password_reset_requested"),
        (
            "/api/email-verification/request",
            ("POST",),
            "request_verification",
            "email_verification_requested",
        ),
        ("/api/follow-requests/", ("POST",), "create", "follow_request_created"),
        ("/feeds/<int:id>/refresh", ("POST",), "refresh_feed", "feed_refreshed"),
        ("/api/profile/oauth/{provider}", ("DELETE",), "unlink", "oauth_unlinked"),
        ("/notifications/<slug>/", ("POST",), "mark_as_read", "notification_marked_read"),
        ("/notifications/", ("POST",), "mark_all_as_read", "notifications_marked_read"),
        ("/messages/", ("POST",), "delete_all", "messages_deleted"),
        ("/search/", ("GET", "POST"), "search", "search_performed"),
        ("/", ("POST",), "save_search_string", "search_string_created"),
        ("/duplicates/", ("POST",), "resolve_all", "duplicates_resolved"),
        ("/api/products/", ("POST",), "search_view", "search_performed"),
        # A word that may be a verb, before the parameter it keys: the handler says the act.
        ("/delete/comment/<int:comment_id>", ("POST",), "delete_comment", "comment_deleted"),
        ("/report/comment/<int:comment_id>", ("POST",), "report_comment", "comment_reported"),
        ("/lock/user/<int:user_id>", ("POST",), "lock_user", "user_locked"),
        ("/unlock/user/<int:user_id>", ("POST",), "unlock_user", "user_unlocked"),
        ("/settings/avatar/crop", ("POST",), "crop_avatar", "avatar_cropped"),
        ("/subscriptions/<int:sid>/pause", ("POST",), "pause_subscription", "subscription_paused"),
    ],
)
def test_event_names(path: str, methods: tuple[str, ...], handler: str, expected: str) -> None:
    assert event_name(route(path, methods, handler)) == expected


def test_viewset_action_and_model_name_the_event() -> None:
    assert (
        event_name(
            route("/api/orders/", ("POST",), "OrderViewSet", action="create", model="OrderItem")
        )
        == "order_item_created"
    )
    assert (
        event_name(
            route("/api/orders/<pk>/", ("DELETE",), "OrderViewSet", action="destroy", model="Order")
        )
        == "order_deleted"
    )


def test_a_class_views_model_or_form_names_its_event_not_its_class() -> None:
    # ``NewsDeleteView`` with ``model = News``; ``CreateQuestionView`` with a form only.
    deleted = route("/news/<pk>/delete/", ("POST",), "NewsDeleteView", model="app.models.News")
    assert event_name(deleted) == "news_deleted"
    asked = route("/qa/ask-question/", ("POST",), "CreateQuestionView", model="qa.QuestionForm")
    assert event_name(dataclasses.replace(asked, action="create")) == "question_created"
    written = dataclasses.replace(
        route("/api/v1/comments", ("POST",), "post"), written=("CommentModel",)
    )
    assert event_name(written) == "comment_created"


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("snake_case", "post_created"),
        ("noun verb", "post created"),
        ("Title Case", "Post Created"),
        ("camelCase", "postCreated"),
        ("kebab-case", "post-created"),
    ],
)
def test_styles(style: str, expected: str) -> None:
    assert format_event("post", "created", style) == expected


@pytest.mark.parametrize(
    ("verb", "past"),
    [
        ("like", "liked"),
        ("copy", "copied"),
        ("play", "played"),
        ("pin", "pinned"),
        ("send", "sent"),
        ("publish", "published"),
        ("transfer", "transferred"),
    ],
)
def test_past_tense(verb: str, past: str) -> None:
    assert past_tense(verb) == past


@pytest.mark.parametrize(
    ("plural", "one"),
    [
        ("posts", "post"),
        ("categories", "category"),
        ("boxes", "box"),
        ("status", "status"),
        ("addresses", "address"),
        ("news", "news"),
        ("breaking_news", "breaking_news"),
        ("series", "series"),
        ("shelves", "shelf"),
        ("book_shelves", "book_shelf"),
        ("statuses", "status"),
        ("archives", "archive"),
    ],
)
def test_singular(plural: str, one: str) -> None:
    assert singular(plural) == one


def test_object_created_on_a_detail_url_names_the_event() -> None:
    created = route("/products/<slug:slug>/", ("GET", "POST"), "product_detail")
    created = dataclasses.replace(
        created, evidence=(Evidence("write", "review.save() saves a model", 9, True),)
    )
    assert event_name(created) == "review_created"


def test_form_save_on_a_detail_url_keeps_the_path_noun() -> None:
    updated = route("/products/<slug:slug>/", ("POST",), "product_detail")
    updated = dataclasses.replace(
        updated, evidence=(Evidence("write", "form.save() saves a model", 9, True),)
    )
    assert event_name(updated) == "product_created"


def test_a_bare_action_is_completed() -> None:
    assert event_name(route("/api/checkout/", ("POST",), "checkout")) == "checkout_completed"


def _planned_names(source: str) -> list[str]:
    import textwrap

    from posthog_setup.plan.plan import build_plan
    from tests.analysers import analyse_sources

    analysis = analyse_sources({"app.py": textwrap.dedent(source)})
    return sorted(e.event for e in build_plan(analysis, client_module="c.py").events)


def test_the_noun_is_the_thing_written_not_the_url() -> None:
    names = _planned_names(
        """\
        from flask import Flask, redirect
        from .models import Comment, db
        app = Flask(__name__)

        @app.route("/", methods=["GET", "POST"])
        def index():
            db.session.add(Comment(body="x"))
            comment = Comment(body="y")
            db.session.add(comment)
            db.session.commit()
            return redirect("/")

        @app.post("/entries")
        def generate():
            db.execute("INSERT INTO invoice (total) VALUES (?)", (1,))
            db.commit()
            return redirect("/")
        """
    )
    assert names == ["comment_created", "invoice_created"]


@pytest.mark.parametrize(
    ("path", "handler", "expected"),
    [
        ("/documents/<int:id>/delete", "delete_document", "document_deleted"),
        ("/pictures/upload", "upload_image", "picture_uploaded"),
        ("/follow/<username>", "follow", "user_followed"),
        ("/folders/new", "new_folder", "folder_created"),
        ("/reset", "password_reset_request", "password_reset_requested"),
        ("/reset_password_request", "reset_password_request", "password_reset_requested"),
        ("/verify/request", "verify_email_request", "email_verification_requested"),
        ("/reset_password", "reset_password", "password_reset"),
    ],
)
def test_no_doubled_words_and_no_fillers(path: str, handler: str, expected: str) -> None:
    names = _planned_names(
        f"""\
        from flask import Flask, redirect
        from .models import db
        app = Flask(__name__)

        @app.post("{path}")
        def {handler}(**kwargs):
            db.session.commit()
            return redirect("/")
        """
    )
    assert names == [expected]


def test_a_registration_that_logs_nobody_in_is_a_signup() -> None:
    import textwrap

    from posthog_setup.codemods.placement import build_points
    from posthog_setup.plan.plan import build_plan
    from tests.analysers import analyse_sources

    source = textwrap.dedent(
        """\
        from flask import Flask, redirect
        from sqlalchemy.orm import Mapped, mapped_column
        from .extensions import db
        app = Flask(__name__)

        class User(db.Model):
            id: Mapped[int] = mapped_column(primary_key=True)
            email: Mapped[str]

        @app.route("/register", methods=["GET", "POST"])
        def register():
            form = RegistrationForm()
            if form.validate_on_submit():
                user = User(email=form.email.data)
                db.session.add(user)
                db.session.commit()
                send_confirmation(user)
                return redirect("/login")
            return render_template("register.html", form=form)
        """
    )
    analysis = analyse_sources({"app.py": source})
    plan = build_plan(analysis, client_module="c.py")
    assert [(e.event, e.kind) for e in plan.events] == [("user_signed_up", "signup")]
    [identify] = build_points(analysis, plan)["app.py"].identifies
    # After the commit (line 16 of the source), where the account exists.
    assert (identify.user, identify.user_id, identify.call_line) == ("user", "user.id", 16)
    assert identify.person_properties == ("email",)


@pytest.mark.parametrize(
    ("param", "pii"),
    [
        ("recipe_id", False),
        ("shipment_id", False),
        ("membership_id", False),
        ("post_id", False),
        ("ip", True),
        ("client_ip", True),
        ("user_email", True),
        ("session_id", True),
        ("reset_token", True),
    ],
)
def test_path_parameters_are_pii_by_whole_words(param: str, pii: bool) -> None:
    assert names_pii(param) is pii


def test_a_toggle_names_no_outcome() -> None:
    # ``news.switch_like(user)`` likes or unlikes: the event cannot say which.
    liked = dataclasses.replace(route("/news/like/", ("POST",), "like"), written=("News",))
    assert event_name(dataclasses.replace(liked, toggles="like")) == "news_like_toggled"
    assert event_name(dataclasses.replace(liked, toggles="")) == "news_toggled"
    # What is switched is the thing itself: named once.
    done = dataclasses.replace(
        route("/item/<int:item_id>/toggle", ("PATCH",), "toggle_item"), written=("Item",)
    )
    assert event_name(dataclasses.replace(done, toggles="item")) == "item_toggled"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("TeamInvitationService", "team_invitation_deleted"),
        ("InvoiceRepository", "invoice_deleted"),
        ("CartRepo", "cart_deleted"),
        ("Service", "service_deleted"),
    ],
)
def test_a_service_or_repository_written_through_names_its_own_noun(
    written: str, expected: str
) -> None:
    deleted = dataclasses.replace(
        route("/api/things/<id>", ("DELETE",), "remove_thing"), written=(written,)
    )
    assert event_name(deleted) == expected


def test_a_bare_action_is_named_after_the_object_whose_fields_it_sets() -> None:
    names = _planned_names(
        """\
        from flask import Flask, redirect
        from flask_sqlalchemy import SQLAlchemy

        app = Flask(__name__)
        db = SQLAlchemy(app)


        class Account(db.Model):
            id = db.Column(db.Integer, primary_key=True)


        @app.post("/confirm/<key>")
        def confirm(key):
            account = Account.query.filter_by(key=key).first_or_404()
            account.confirmed = True
            db.session.commit()
            return redirect("/")


        @app.post("/checkout")
        def checkout():
            db.session.commit()
            return redirect("/")
        """
    )
    assert names == ["account_confirmed", "checkout_completed"]


@pytest.mark.parametrize(
    ("noun", "article"),
    [
        ("user", "A"),
        ("unit", "A"),
        ("usage report", "A"),
        ("one time link", "A"),
        ("url", "A"),
        ("item", "An"),
        ("update", "An"),
        ("unread note", "An"),
        ("hour log", "An"),
        ("order", "An"),
        ("post", "A"),
    ],
)
def test_descriptions_take_the_article_the_noun_sounds_for(noun: str, article: str) -> None:
    from posthog_setup.plan.plan import _description

    description = _description(noun.replace(" ", "_"), "created", route("/x", ("POST",), "x"))
    assert description.startswith(f"{article} {noun} was created")


@pytest.mark.parametrize(
    ("path", "methods", "handler", "written", "expected"),
    [
        # an action resource deleted is the action undone, never the same event
        ("/api/articles/<slug>/favorite", ("POST",), "favorite_article", "Article", "article_favorited"),
        ("/api/articles/<slug>/favorite", ("DELETE",), "unfavorite_article", "Article", "article_unfavorited"),
        ("/api/profiles/<name>/follow", ("DELETE",), "stop", "Profile", "profile_unfollowed"),
        ("/posts/<id>/unlike", ("DELETE",), "unlike", "", "post_unliked"),
        # a DELETE on an action that is itself a removal does just that
        ("/api/mfa/disable", ("DELETE",), "disable_mfa", "", "mfa_disabled"),
        # a verb we know, undone in the handler's name
        ("/stars", ("POST",), "unstar_repo", "Repo", "repo_unstarred"),
        ("/marks", ("POST",), "unbookmark_page", "Page", "page_unbookmarked"),
        # the collection a POST adds to is no action: the thing written was created
        ("/api/articles/<slug>/comments", ("POST",), "make_comment_on_article", "Comment", "comment_created"),
        # the written noun that names the action itself is not said twice
        ("/api/verify", ("POST",), "verify", "EmailVerification", "email_verified"),
        ("/accounts/confirm", ("POST",), "confirm", "AccountConfirmation", "account_confirmed"),
    ],
)  # fmt: skip
def test_undone_actions_and_collections_that_read_as_verbs(
    path: str, methods: tuple[str, ...], handler: str, written: str, expected: str
) -> None:
    subject = dataclasses.replace(
        route(path, methods, handler), written=(written,) if written else ()
    )
    assert event_name(subject) == expected


@pytest.mark.parametrize(
    ("path", "handler", "expected"),
    [
        # -ify / -ize verbs and their undoing are actions, not nouns
        ("/reviews/articles/unclassify/", "unclassify_articles", "article_unclassified"),
        ("/accounts/<int:id>/authorize/", "authorize", "account_authorized"),
        # a past participle in a name says what was done
        ("/settings/save_uploaded_picture/", "save_uploaded_picture", "picture_uploaded"),
        ("/reviews/multiple_articles/duplicated/", "duplicated", "article_duplicated"),
        # a compound path segment's fillers are dropped; the resource stays
        ("/conducting/multiple_articles_action/accept/", "accept", "article_accepted"),
        # a one-word segment is the project's own resource word, even a filler
        ("/items/", "create", "item_created"),
    ],
)
def test_verbs_by_form_and_compound_segments(path: str, handler: str, expected: str) -> None:
    assert event_name(route(path, ("POST",), handler)) == expected


def test_a_dispatching_handler_is_named_by_the_function_it_writes_through() -> None:
    dispatch = dataclasses.replace(
        route("/library/list_actions/", ("POST",), "list_actions"),
        evidence=(Evidence("write", "delete_documents() writes (docs.delete() deletes)", 3, True),),
    )
    assert event_name(dispatch) == "document_deleted"
    # the handler's own words come first
    named = dataclasses.replace(
        dispatch, handler=dataclasses.replace(dispatch.handler, qualname="archive_folder")
    )
    assert event_name(named) == "folder_archived"


@pytest.mark.parametrize(
    ("path", "methods", "handler", "helper", "expected"),
    [
        # ``/cart/items/`` written through ``add_cart_item()``: a cart item, not an item
        ("/cart/items/", ("POST",), "add_item_to_cart", "add_cart_item", "cart_item_created"),
        ("/cart/items/<int:item_id>", ("DELETE",), "remove_item", "remove_cart_item",
         "cart_item_deleted"),
        # nothing longer names it: the project's own resource word stays
        ("/items/", ("POST",), "create", "store_entry", "item_created"),
        # a noun that is no filler is never lengthened
        ("/orders/", ("POST",), "create_order", "save_draft_order", "order_created"),
    ],
)  # fmt: skip
def test_a_filler_noun_takes_the_words_that_say_whose_it_is(
    path: str, methods: tuple[str, ...], handler: str, helper: str, expected: str
) -> None:
    r = dataclasses.replace(
        route(path, methods, handler),
        evidence=(
            Evidence("write", "open_session() writes (db.add(row) adds)", 2, True),
            Evidence("write", f"{helper}() writes (db.add(row) adds)", 3, True),
        ),
    )
    assert event_name(r) == expected


def test_a_form_named_for_its_operation_names_its_model() -> None:
    created = route("/reviews/new/", ("POST",), "new", model="app.forms.CreateReviewForm")
    assert event_name(created) == "review_created"
    # a noun that is also a verb stays (a review setting, not a setting)
    kept = route("/settings/", ("POST",), "settings", model="app.forms.ReviewSettingForm")
    assert event_name(kept) == "review_setting_created"


@pytest.mark.parametrize(
    ("change", "expected"),
    [("updated", "review_updated"), ("deleted", "review_deleted"), (None, "review_created")],
)
def test_a_post_that_only_changes_what_it_looked_up_did_not_create(
    change: str | None, expected: str
) -> None:
    saved = dataclasses.replace(
        route("/reviews/save_objective/", ("POST",), "save_objective"),
        written=("Review",),
        existing_change=change,
    )
    assert event_name(saved) == expected


def test_a_helper_that_says_only_that_something_was_set_gives_no_verb() -> None:
    saved = dataclasses.replace(
        route("/admin/plugins/<plugin>", ("POST",), "plugin"),
        evidence=(Evidence("write", "set_config() writes (db.session.commit())", 3, True),),
    )
    assert event_name(saved) == "plugin_created"


@pytest.mark.parametrize(
    ("path", "handler", "expected"),
    [
        # a method named for the HTTP verb says nothing: its class does
        ("/files/upload/standard/", "FileStandardUploadApi.post", "file_uploaded"),
        # an adjective segment names nothing; a verb said last makes the one before a noun
        ("/files/upload/direct/finish/", "FileDirectUploadFinishApi.post", "file_upload_finished"),
        ("/api/v1/teams/me", "TeamPrivate.patch", "team_updated"),
        # whoever logs out is a user, whatever the token
        ("/auth/jwt/logout/", "UserJwtLogoutApi.post", "user_logged_out"),
        # a login or a registration is something a user did, not a thing created
        ("/api/users/login/", "LoginAPIView.post", "user_logged_in"),
        ("/api/users/", "RegistrationAPIView.post", "user_signed_up"),
    ],
)
def test_class_views_are_named_by_their_class_and_adjectives_name_nothing(
    path: str, handler: str, expected: str
) -> None:
    methods = ("PATCH",) if handler.endswith("patch") else ("POST",)
    assert event_name(route(path, methods, handler)) == expected


def test_a_user_registered_is_a_user_signed_up_and_other_things_stay_registered() -> None:
    signup = dataclasses.replace(route("/auth/register", ("POST",), "register"), written=("user",))
    assert event_name(signup) == "user_signed_up"
    device = dataclasses.replace(
        route("/devices/register", ("POST",), "register"), written=("Device",)
    )
    assert event_name(device) == "device_registered"


def test_a_form_named_for_the_action_says_the_verb_once_and_pk_parameters_are_ids() -> None:
    taken = dataclasses.replace(
        route("/students/quiz/<int:pk>/", ("POST",), "take_quiz"), written=("TakeQuizForm",)
    )
    assert event_name(taken) == "quiz_taken"


@pytest.mark.parametrize(
    ("path", "handler", "expected"),
    [
        ("/collect/<int:photo_id>", "collect", "photo_collected"),
        ("/uncollect/<int:photo_id>", "uncollect", "photo_uncollected"),
        ("/follow/<username>", "follow", "user_followed"),
    ],
)
def test_a_verb_before_the_parameter_it_acts_on(path: str, handler: str, expected: str) -> None:
    param = path.rpartition("<")[2].rpartition(":")[2].rstrip(">")
    found = dataclasses.replace(route(path, ("POST",), handler), path_params=(param,))
    assert event_name(found) == expected


@pytest.mark.parametrize(
    ("path", "handler", "expected"),
    [
        ("/auth/reset-password", "reset_current_user_password", "password_reset"),
        ("/account/email/", "change_email", "email_changed"),
        ("/me/avatar", "upload", "avatar_uploaded"),
        # Nothing but the user named: the user was updated.
        ("/api/user/me/", "update", "user_updated"),
    ],
)
def test_a_part_of_an_account_the_action_names_is_the_noun_not_the_user(
    path: str, handler: str, expected: str
) -> None:
    # The body writes the user row; the path or handler says which part of it changed.
    written = dataclasses.replace(route(path, ("POST",), handler), written=("User",))
    assert event_name(written) == expected


@pytest.mark.parametrize(
    ("path", "handler", "expected"),
    [
        ("/tokens/reset", "password_reset", "password_reset"),
        ("/credentials", "change_email", "email_changed"),
        # More than the part: the handler says what else, the path names the resource.
        ("/notifications", "update_email_settings", "notification_updated"),
        # A handler naming no action of its own says nothing of the part.
        ("/tokens", "password", "token_updated"),
    ],
)
def test_a_handler_named_for_an_account_part_and_its_action_names_the_part(
    path: str, handler: str, expected: str
) -> None:
    # The write is the user's, found only at link (``user = User.verify(token)``): the
    # path names the means (a reset token), the handler what it changed.
    assert event_name(route(path, ("PUT",), handler)) == expected


@pytest.mark.parametrize(
    ("path", "handler", "written", "expected"),
    [
        ("/boards/<pk>/topics/<topic_pk>/reply/", "reply_topic", "Post", "topic_replied"),
        ("/tasks/<int:task_id>/assign", "assign", "Assignment", "task_assigned"),
        # A create / update / delete word names no action of its own: the model is written.
        ("/boards/<pk>/new/", "new_topic", "Topic", "topic_created"),
        ("/posts/<int:post_id>/comments", "add_comment", "Comment", "comment_created"),
    ],
)
def test_an_action_on_a_resource_names_the_resource_not_the_record_it_writes(
    path: str, handler: str, written: str, expected: str
) -> None:
    acted = dataclasses.replace(route(path, ("POST",), handler), written=(written,))
    assert event_name(acted) == expected


@pytest.mark.parametrize(
    ("path", "handler", "params", "expected"),
    [
        ("/collect/<int:photo_id>", "collect", ("photo_id",), "photo_collected"),
        ("/follow/<username>", "follow", ("username",), "user_followed"),
    ],
)
def test_an_action_on_what_its_parameter_keys_names_that_not_what_else_is_written(
    path: str, handler: str, params: tuple[str, ...], expected: str
) -> None:
    # The handler also writes a notification to the photo's author.
    acted = dataclasses.replace(
        route(path, ("POST",), handler), path_params=params, written=("Notification",)
    )
    assert event_name(acted) == expected


@pytest.mark.parametrize(
    ("path", "methods", "handler", "written", "expected"),
    [
        # A verb and its object in one segment: the object, not the flag that records it.
        ("/request-refund/", ("POST",), "RequestRefundView", "Order Refund", "refund_requested"),
        # What the handler records, where the path names a format (a BibTeX file).
        ("/library/import_bibtex/", ("POST",), "import_bibtex", "Document", "document_imported"),
        # A participle says which, not what: the records written say what.
        (
            "/resolve_duplicated/",
            ("POST",),
            "resolve_duplicated",
            "Article",
            "duplicated_articles_resolved",
        ),
        # A place, not an object: the record written says what moved.
        ("/add-to-cart/<slug>/", ("POST",), "add_to_cart", "OrderItem", "order_item_created"),
        # ``/api/me`` is the logged-in user's record; ``def put`` says nothing of it.
        ("/api/me", ("PUT",), "put", "", "user_updated"),
        # A pattern's optional trailing slash is no segment: DELETE undoes the favorite.
        (
            "/articles/<slug>/favorite/?",
            ("DELETE",),
            "ArticleFavorite",
            "Article",
            "article_unfavorited",
        ),
    ],
)
def test_a_path_that_says_its_action_and_object_names_them(
    path: str, methods: tuple[str, ...], handler: str, written: str, expected: str
) -> None:
    said = dataclasses.replace(route(path, methods, handler), written=tuple(written.split()))
    assert event_name(said) == expected


@pytest.mark.parametrize(
    ("path", "handler", "written", "expected"),
    [
        # The record's own, longer name for the resource the action is on.
        (
            "/teams/<team_id>/invitations/<invitation_id>/reject",
            "reject_team_invitation",
            "TeamInvitation",
            "team_invitation_rejected",
        ),
        ("/catalog/book/<uuid:pk>/renew/", "renew_book", "BookInstance", "book_instance_renewed"),
        (
            "/packages/flag/<int:pk>/approve/",
            "approve",
            "FlaggedPackage",
            "flagged_package_approved",
        ),
        # A thing of the resource the path keys before it: the recipe's image.
        ("/recipes/<pk>/upload-image/", "upload_image", "Recipe", "recipe_image_uploaded"),
    ],
)
def test_an_action_on_a_resource_keeps_the_resources_full_name(
    path: str, handler: str, written: str, expected: str
) -> None:
    acted = dataclasses.replace(route(path, ("POST",), handler), written=(written,))
    assert event_name(acted) == expected


@pytest.mark.parametrize(
    ("path", "method", "handler", "written", "expected"),
    [
        # The schema's suffixes stack: a user, updated.
        ("/user", "PUT", "update_current_user", ("UserInUpdate",), "user_updated"),
        ("/clear-tokens", "POST", "clear_tokens", (), "token_cleared"),
    ],
)
def test_stacked_schema_suffixes_and_clearing(
    path: str, method: str, handler: str, written: tuple[str, ...], expected: str
) -> None:
    found = dataclasses.replace(route(path, (method,), handler), written=written)
    assert event_name(found) == expected


@pytest.mark.parametrize(
    ("path", "method", "handler", "expected"),
    [
        # A participle that opens a class view's name says which records, not the act.
        ("/jobs/done", "DELETE", "FinishedJobsAPI.delete", "finished_jobs_deleted"),
        ("/jobs", "DELETE", "FinishedJobsAPI.delete", "finished_jobs_deleted"),
        # So does one a path ends in after its collection.
        ("/jobs/finished", "DELETE", "JobsAPI.delete", "finished_jobs_deleted"),
        # Or one said after the handler's verb: the finished ones were purged.
        ("/jobs/cleanup", "POST", "purge_finished", "finished_jobs_purged"),
        # A participle after a parameter is still the act (``/jobs/<id>/approved``).
        ("/jobs/<int:job_id>/approved", "POST", "mark", "job_approved"),
    ],
)
def test_a_participle_that_selects_records_is_no_verb(
    path: str, method: str, handler: str, expected: str
) -> None:
    h = Handler("m", "m.py", handler, 1, 2, 1)
    found = Route("flask", path, (method,), h, None, 1, True, (), None, written=("Job",))
    assert event_name(found) == expected
