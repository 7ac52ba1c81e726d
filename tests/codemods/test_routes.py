"""The route codemods: capture, identify, logout and exception calls placed in handlers."""

from __future__ import annotations

from textwrap import dedent

import pytest

from posthog_setup.codemods.base import ClientImport, EditError
from posthog_setup.codemods.points import (
    CapturePoint,
    ExceptionPoint,
    FilePoints,
    IdentifyPoint,
    LogoutPoint,
)
from posthog_setup.codemods.routes import instrument_file, instrument_file_with_notes
from tests.codemods.helpers import (
    CLIENT,
    PATH,
    check_idempotent,
    check_noop,
    check_transformed,
    file_points,
    fixture_source,
    line_after,
    line_before,
)

CREATED = CapturePoint(
    "create",
    4,
    "post_created",
    properties=(("post_id", "post.id"),),
    distinct_id="user.id",
)


# Capture: placement.


def test_capture_after_the_change_line() -> None:
    check_transformed(
        """\
        from app.models import Post, db


        def create(user, title):
            if not title:
                return {"error": "title is required"}, 400
            post = Post(title=title)
            db.session.add(post)
            db.session.commit()
            return {"id": post.id}
        """,
        CapturePoint("create", 4, "post_created", distinct_id="user.id", after_line=9),
        """\
        from app.analytics import posthog_client
        from app.models import Post, db


        def create(user, title):
            if not title:
                return {"error": "title is required"}, 400
            post = Post(title=title)
            db.session.add(post)
            db.session.commit()
            posthog_client.capture("post_created", distinct_id=str(user.id))
            return {"id": post.id}
        """,
    )


def test_capture_after_the_change_inside_an_if_block() -> None:
    check_transformed(
        """\
        def create(request, user):
            if request.method == "POST":
                post = save(request.form)
                db.commit()
                return redirect(post)
            return FORM
        """,
        CapturePoint("create", 1, "post_created", after_line=4),
        """\
        from app.analytics import posthog_client

        def create(request, user):
            if request.method == "POST":
                post = save(request.form)
                db.commit()
                posthog_client.capture("post_created")
                return redirect(post)
            return FORM
        """,
    )


def test_capture_after_the_commit_inside_try() -> None:
    check_transformed(
        """\
        def create(user, db):
            try:
                post = Post()
                db.commit()
            except IntegrityError:
                db.rollback()
                raise
            return post
        """,
        CapturePoint("create", 1, "post_created", distinct_id="user.id", after_line=4),
        """\
        from app.analytics import posthog_client

        def create(user, db):
            try:
                post = Post()
                db.commit()
                posthog_client.capture("post_created", distinct_id=str(user.id))
            except IntegrityError:
                db.rollback()
                raise
            return post
        """,
    )


def test_capture_after_the_checks_that_the_change_happened() -> None:
    # A helper that answers None when the row is missing: the 404 is no update.
    check_transformed(
        """\
        def update(order_id, db):
            order = crud.update_order(db, order_id)
            if order is None:
                raise HTTPException(status_code=404)
            if not order.active: return None
            notify(order)
            return order
        """,
        CapturePoint("update", 1, "order_updated", after_line=2),
        """\
        from app.analytics import posthog_client

        def update(order_id, db):
            order = crud.update_order(db, order_id)
            if order is None:
                raise HTTPException(status_code=404)
            if not order.active: return None
            posthog_client.capture("order_updated")
            notify(order)
            return order
        """,
    )


@pytest.mark.parametrize(
    "check",
    [
        # reads nothing the change bound
        "if notify:\n                raise Stop()",
        # does not leave the handler
        "if order is None:\n                log(order_id)",
        # leaves it on one branch only
        "if order is None:\n                raise Missing()\n            else:\n                log(order)",
    ],
)
def test_capture_right_after_the_change_before_other_checks(check: str) -> None:
    check_transformed(
        f"""\
        def update(order_id, db, notify):
            order = crud.update_order(db, order_id)
            {check}
            return order
        """,
        CapturePoint("update", 1, "order_updated", after_line=2),
        f"""\
        from app.analytics import posthog_client

        def update(order_id, db, notify):
            order = crud.update_order(db, order_id)
            posthog_client.capture("order_updated")
            {check}
            return order
        """,
    )


def test_capture_after_a_multi_line_statement_and_inside_with() -> None:
    check_transformed(
        """\
        def checkout(request):
            with transaction.atomic():
                order = Order.objects.create(
                    user=request.user,
                )
            return Response(order.id)
        """,
        CapturePoint(
            "checkout",
            1,
            "order_created",
            properties=(("order_id", "order.id"),),
            distinct_id="request.user.pk",
            after_line=4,
        ),
        """\
        from app.analytics import posthog_client

        def checkout(request):
            with transaction.atomic():
                order = Order.objects.create(
                    user=request.user,
                )
                posthog_client.capture(
                    "order_created",
                    distinct_id=str(request.user.pk),
                    properties={"order_id": order.id},
                )
            return Response(order.id)
        """,
    )


def test_capture_before_the_final_return_only() -> None:
    check_transformed(
        """\
        def update(post_id, body):
            post = load(post_id)
            if post is None:
                return {"error": "not found"}, 404
            if not body:
                return {"error": "empty"}, 400
            post.body = body
            # Send the client back to the post.
            return {"id": post.id}
        """,
        CapturePoint("update", 1, "post_updated", properties=(("post_id", "post_id"),)),
        """\
        from app.analytics import posthog_client

        def update(post_id, body):
            post = load(post_id)
            if post is None:
                return {"error": "not found"}, 404
            if not body:
                return {"error": "empty"}, 400
            post.body = body
            posthog_client.capture("post_updated", properties={"post_id": post_id})
            # Send the client back to the post.
            return {"id": post.id}
        """,
    )


def test_capture_appended_without_a_return() -> None:
    check_transformed(
        """\
        async def delete_task(task_id, user, db):
            db.delete(load(task_id))
            db.commit()
        """,
        CapturePoint(
            "delete_task", 1, "task_deleted", (("task_id", "task_id"),), distinct_id="user.id"
        ),
        """\
        from app.analytics import posthog_client

        async def delete_task(task_id, user, db):
            db.delete(load(task_id))
            db.commit()
            posthog_client.capture(
                "task_deleted",
                distinct_id=str(user.id),
                properties={"task_id": task_id},
            )
        """,
    )


def test_capture_with_a_guard() -> None:
    check_transformed(
        """\
        @bp.post("/<int:post_id>/like")
        def like(post_id):
            like_post(post_id)
            return {}
        """,
        CapturePoint(
            "like",
            2,
            "post_liked",
            distinct_id="current_user.id",
            guard="current_user.is_authenticated",
        ),
        """\
        from app.analytics import posthog_client

        @bp.post("/<int:post_id>/like")
        def like(post_id):
            like_post(post_id)
            posthog_client.capture(
                "post_liked",
                distinct_id=str(current_user.id) if current_user.is_authenticated else None,
            )
            return {}
        """,
    )


def test_a_long_properties_dict_gets_one_item_per_line() -> None:
    properties = tuple((f"property_number_{n}", f"value_number_{n}") for n in range(5))
    check_transformed(
        """\
        def create():
            return 1
        """,
        CapturePoint("create", 1, "thing_created", properties=properties),
        """\
        from app.analytics import posthog_client

        def create():
            posthog_client.capture(
                "thing_created",
                properties={
                    "property_number_0": value_number_0,
                    "property_number_1": value_number_1,
                    "property_number_2": value_number_2,
                    "property_number_3": value_number_3,
                    "property_number_4": value_number_4,
                },
            )
            return 1
        """,
    )


def test_one_line_body_becomes_a_block() -> None:
    check_transformed(
        """\
        def like(post_id): return bump(post_id)  # one-liner
        """,
        CapturePoint("like", 1, "post_liked"),
        """\
        from app.analytics import posthog_client

        def like(post_id):  # one-liner
            posthog_client.capture("post_liked")
            return bump(post_id)
        """,
    )


def test_one_line_body_with_several_statements() -> None:
    check_transformed(
        """\
        def like(post_id): bump(post_id); db.commit()
        """,
        CapturePoint("like", 1, "post_liked", after_line=1),
        """\
        from app.analytics import posthog_client

        def like(post_id):
            bump(post_id)
            db.commit()
            posthog_client.capture("post_liked")
        """,
    )


def test_capture_goes_after_the_docstring() -> None:
    check_transformed(
        '''\
        def create():
            """Create a thing."""
        ''',
        CapturePoint("create", 1, "thing_created"),
        '''\
        from app.analytics import posthog_client

        def create():
            """Create a thing."""
            posthog_client.capture("thing_created")
        ''',
    )


def test_capture_in_a_method_with_stacked_decorators() -> None:
    check_transformed(
        """\
        class ShipmentViewSet(viewsets.ViewSet):
            @action(detail=True, methods=["post"])
            @transaction.atomic
            def cancel(self, request, pk=None):
                shipment = load(pk)
                shipment.save()
                return Response({})
        """,
        CapturePoint(
            "ShipmentViewSet.cancel",
            4,
            "shipment_cancelled",
            properties=(("shipment_id", "pk"),),
            distinct_id="request.user.pk",
            after_line=6,
        ),
        """\
        from app.analytics import posthog_client

        class ShipmentViewSet(viewsets.ViewSet):
            @action(detail=True, methods=["post"])
            @transaction.atomic
            def cancel(self, request, pk=None):
                shipment = load(pk)
                shipment.save()
                posthog_client.capture(
                    "shipment_cancelled",
                    distinct_id=str(request.user.pk),
                    properties={"shipment_id": pk},
                )
                return Response({})
        """,
    )


def test_function_inside_a_factory() -> None:
    check_transformed(
        """\
        def create_app():
            app = Flask(__name__)

            @app.post("/items")
            def add_item():
                return save()

            return app
        """,
        CapturePoint("create_app.<locals>.add_item", 5, "item_added"),
        """\
        from app.analytics import posthog_client

        def create_app():
            app = Flask(__name__)

            @app.post("/items")
            def add_item():
                posthog_client.capture("item_added")
                return save()

            return app
        """,
    )


def test_two_points_in_one_file_and_one_handler() -> None:
    check_transformed(
        """\
        def create():
            save()
            return 1


        def delete():
            remove()
        """,
        [
            CapturePoint("create", 1, "thing_created", after_line=2),
            CapturePoint("create", 1, "thing_saved", after_line=2),
            CapturePoint("delete", 6, "thing_deleted"),
        ],
        """\
        from app.analytics import posthog_client

        def create():
            save()
            posthog_client.capture("thing_created")
            posthog_client.capture("thing_saved")
            return 1


        def delete():
            remove()
            posthog_client.capture("thing_deleted")
        """,
    )


def test_the_same_event_twice_is_inserted_once() -> None:
    check_transformed(
        """\
        def create():
            return 1
        """,
        [CapturePoint("create", 1, "thing_created"), CapturePoint("create", 1, "thing_created")],
        """\
        from app.analytics import posthog_client

        def create():
            posthog_client.capture("thing_created")
            return 1
        """,
    )


# Capture: imports and file styles.


def test_relative_client_import() -> None:
    check_transformed(
        """\
        from .models import Post


        def create():
            return Post()
        """,
        CapturePoint("create", 4, "post_created"),
        """\
        from .analytics import posthog_client
        from .models import Post


        def create():
            posthog_client.capture("post_created")
            return Post()
        """,
        client=ClientImport("analytics", 1),
    )


def test_existing_client_import_is_not_duplicated() -> None:
    check_transformed(
        """\
        from app.analytics import posthog_client


        def create():
            return 1
        """,
        CapturePoint("create", 4, "thing_created"),
        """\
        from app.analytics import posthog_client


        def create():
            posthog_client.capture("thing_created")
            return 1
        """,
    )


def test_import_goes_after_the_module_docstring_and_future_import() -> None:
    check_transformed(
        '''\
        """Views."""

        from __future__ import annotations


        def create():
            return 1
        ''',
        CapturePoint("create", 6, "thing_created"),
        '''\
        """Views."""

        from __future__ import annotations

        from app.analytics import posthog_client


        def create():
            posthog_client.capture("thing_created")
            return 1
        ''',
    )


def test_crlf_newlines_are_kept() -> None:
    check_transformed(
        "import db\r\n\r\n\r\ndef create(user):\r\n    db.commit()\r\n    return 1\r\n",
        CapturePoint(
            "create",
            4,
            "thing_created",
            properties=(("a_rather_long_property_name", "user.some_rather_long_attribute"),),
            distinct_id="user.id",
        ),
        "import db\r\n\r\nfrom app.analytics import posthog_client\r\n\r\n\r\n"
        "def create(user):\r\n    db.commit()\r\n"
        "    posthog_client.capture(\r\n"
        '        "thing_created",\r\n'
        "        distinct_id=str(user.id),\r\n"
        '        properties={"a_rather_long_property_name": user.some_rather_long_attribute},\r\n'
        "    )\r\n"
        "    return 1\r\n",
        raw=True,
    )


def test_tab_indentation_is_kept() -> None:
    check_transformed(
        "class Views:\n\tdef create(self, user):\n\t\tif user:\n\t\t\tsave()\n\t\treturn 1\n",
        CapturePoint(
            "Views.create",
            2,
            "thing_created",
            properties=(("a_long_property_name", "user.a_long_attribute_name"),),
            distinct_id="user.identifier",
            after_line=4,
        ),
        "from app.analytics import posthog_client\n\n"
        "class Views:\n\tdef create(self, user):\n\t\tif user:\n\t\t\tsave()\n"
        "\t\t\tposthog_client.capture(\n"
        '\t\t\t\t"thing_created",\n'
        "\t\t\t\tdistinct_id=str(user.identifier),\n"
        '\t\t\t\tproperties={"a_long_property_name": user.a_long_attribute_name},\n'
        "\t\t\t)\n"
        "\t\treturn 1\n",
        raw=True,
    )


def test_comments_and_blank_lines_are_kept() -> None:
    check_transformed(
        """\
        def create(db):  # the create view
            # Build it.
            post = Post()

            db.commit()  # now it exists

            # Done.
            return post
        """,
        CapturePoint("create", 1, "post_created", after_line=5),
        """\
        from app.analytics import posthog_client

        def create(db):  # the create view
            # Build it.
            post = Post()

            db.commit()  # now it exists
            posthog_client.capture("post_created")

            # Done.
            return post
        """,
    )


# Capture: nothing to do.


@pytest.mark.parametrize(
    "body",
    [
        pytest.param('analytics.capture("post_created", distinct_id="1")', id="other client"),
        pytest.param('posthog_client.capture(event="post_created")', id="event keyword"),
        pytest.param('posthog.capture(user.id, "post_created")', id="pre-6.0 positional"),
        pytest.param('capture("post_created")', id="bare function"),
    ],
)
def test_noop_handler_already_captures(body: str) -> None:
    check_noop(
        f"""\
        def create(user):
            post = Post()
            {body}
            return post
        """,
        CapturePoint("create", 1, "post_created", distinct_id="user.id"),
    )


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            "def create():  # posthog-setup: ignore\n    return 1\n", id="comment on the def"
        ),
        pytest.param(
            "@bp.post('/x')  # posthog-setup: ignore[capture]\ndef create():\n    return 1\n",
            id="comment on the decorator",
        ),
        pytest.param(
            "@bp.post('/x')\ndef create(\n    a,  # posthog-setup: ignore\n):\n    return 1\n",
            id="comment in a multi-line signature",
        ),
    ],
)
def test_noop_handler_marked_ignore(source: str) -> None:
    line = source.splitlines().index(next(s for s in source.splitlines() if "def " in s)) + 1
    notes = check_noop(source, CapturePoint("create", line, "thing_created"))
    assert notes == [
        f"{PATH}: handler create (line {line}) is marked `# posthog-setup: ignore`; "
        "capture of thing_created not inserted"
    ]


def test_an_ignore_for_another_rule_does_not_skip() -> None:
    check_transformed(
        """\
        def create():  # posthog-setup: ignore[pii]
            return 1
        """,
        CapturePoint("create", 1, "thing_created"),
        """\
        from app.analytics import posthog_client

        def create():  # posthog-setup: ignore[pii]
            posthog_client.capture("thing_created")
            return 1
        """,
    )


def test_noop_handler_not_found() -> None:
    source = """\
        def index():
            return 1
        """
    notes = check_noop(source, CapturePoint("create", 46, "post_created"))
    assert notes == [
        f"{PATH}: handler create (line 46) not found; capture of post_created not inserted"
    ]


def test_noop_ambiguous_handler_at_another_line() -> None:
    notes = check_noop(
        """\
        if DEBUG:
            def create():
                return 1
        else:
            def create():
                return 2
        """,
        CapturePoint("create", 9, "thing_created"),
    )
    assert len(notes) == 1
    assert "not found" in notes[0]


def test_handler_that_moved_is_found_by_its_unique_name() -> None:
    # The plan said line 1; two lines were added above it since.
    check_transformed(
        """\
        import db


        def create():
            db.save()
            return 1
        """,
        CapturePoint("create", 1, "thing_created", after_line=2),
        """\
        import db

        from app.analytics import posthog_client


        def create():
            db.save()
            posthog_client.capture("thing_created")
            return 1
        """,
    )


def test_a_skipped_point_does_not_stop_the_others() -> None:
    source = "def create():\n    return 1\n"
    result, notes = instrument_file_with_notes(
        source,
        PATH,
        file_points([CapturePoint("missing", 9, "x_done"), CapturePoint("create", 1, "y_done")]),
        CLIENT,
    )
    assert 'posthog_client.capture("y_done")' in result
    assert len(notes) == 1


def test_no_points_returns_the_same_string() -> None:
    source = "def create(:\n"  # not even parsed when there is nothing to do
    assert instrument_file(source, PATH, FilePoints(PATH), CLIENT) is source


def test_syntax_error_raises_edit_error_naming_the_file() -> None:
    with pytest.raises(EditError, match=f"{PATH}: cannot parse"):
        instrument_file("def create(:\n    pass\n", PATH, file_points(CREATED), CLIENT)


# Capture: class-based views.


def test_override_form_valid_is_added() -> None:
    check_transformed(
        """\
        class ProductUpdateView(LoginRequiredMixin, UpdateView):
            model = Product
            fields = ["name"]
        """,
        CapturePoint(
            "ProductUpdateView",
            1,
            "product_updated",
            properties=(("product_id", "self.object.pk"),),
            distinct_id="self.request.user.pk",
            override="form_valid",
        ),
        """\
        from app.analytics import posthog_client

        class ProductUpdateView(LoginRequiredMixin, UpdateView):
            model = Product
            fields = ["name"]

            def form_valid(self, form):
                response = super().form_valid(form)
                posthog_client.capture(
                    "product_updated",
                    distinct_id=str(self.request.user.pk),
                    properties={"product_id": self.object.pk},
                )
                return response
        """,
    )


def test_override_process_form_submission_returns_the_parents_submission() -> None:
    check_transformed(
        """\
        class ContactPage(AbstractEmailForm):
            intro = RichTextField(blank=True)
        """,
        CapturePoint(
            "ContactPage",
            1,
            "contact_submitted",
            distinct_id="form.user.pk",
            guard="form.user.is_authenticated",
            override="process_form_submission",
        ),
        """\
        from app.analytics import posthog_client

        class ContactPage(AbstractEmailForm):
            intro = RichTextField(blank=True)

            def process_form_submission(self, form):
                response = super().process_form_submission(form)
                posthog_client.capture(
                    "contact_submitted",
                    distinct_id=str(form.user.pk) if form.user.is_authenticated else None,
                )
                return response
        """,
    )


@pytest.mark.parametrize("method", ["perform_create", "perform_update"])
def test_override_perform_save_hooks_are_added(method: str) -> None:
    check_transformed(
        """\
        class OrderViewSet(viewsets.ModelViewSet):
            serializer_class = OrderSerializer
        """,
        CapturePoint(
            "OrderViewSet",
            1,
            "order_saved",
            properties=(("order_id", "serializer.instance.pk"),),
            override=method,
        ),
        f"""\
        from app.analytics import posthog_client

        class OrderViewSet(viewsets.ModelViewSet):
            serializer_class = OrderSerializer

            def {method}(self, serializer):
                super().{method}(serializer)
                posthog_client.capture("order_saved", properties={{"order_id": serializer.instance.pk}})
        """,
    )


def test_override_perform_destroy_captures_after_the_delete() -> None:
    """A delete that fails (a protected row) sends nothing: the event follows it, reading
    the URL's key (the deleted object's own is gone)."""
    check_transformed(
        """\
        class OrderViewSet(viewsets.ModelViewSet):
            serializer_class = OrderSerializer
        """,
        CapturePoint(
            "OrderViewSet",
            1,
            "order_deleted",
            properties=(("order_id", 'self.kwargs["pk"]'),),
            override="perform_destroy",
        ),
        """\
        from app.analytics import posthog_client

        class OrderViewSet(viewsets.ModelViewSet):
            serializer_class = OrderSerializer

            def perform_destroy(self, instance):
                super().perform_destroy(instance)
                posthog_client.capture("order_deleted", properties={"order_id": self.kwargs["pk"]})
        """,
    )


def test_override_form_valid_of_a_delete_view_captures_after_the_delete() -> None:
    check_transformed(
        """\
        from django.views.generic import DeleteView


        class ProductDeleteView(DeleteView):
            model = Product
        """,
        CapturePoint(
            "ProductDeleteView",
            4,
            "product_deleted",
            properties=(("product_id", 'self.kwargs["pk"]'),),
            override="form_valid",
        ),
        """\
        from django.views.generic import DeleteView

        from app.analytics import posthog_client


        class ProductDeleteView(DeleteView):
            model = Product

            def form_valid(self, form):
                response = super().form_valid(form)
                posthog_client.capture("product_deleted", properties={"product_id": self.kwargs["pk"]})
                return response
        """,
    )


def test_a_delete_whose_failure_the_view_catches_is_captured_only_once_it_succeeded() -> None:
    """``try: self.object.delete() ... except``: before the delete, the event would go out
    for a delete the handler then reports as failed."""
    check_transformed(
        """\
        class AuthorDelete(DeleteView):
            def form_valid(self, form):
                try:
                    self.object.delete()
                    return HttpResponseRedirect(self.success_url)
                except Exception:
                    return HttpResponseRedirect(reverse("author-delete"))
        """,
        CapturePoint(
            "AuthorDelete.form_valid",
            2,
            "author_deleted",
            properties=(("author_id", 'self.kwargs["pk"]'),),
            after_line=4,
        ),
        """\
        from app.analytics import posthog_client

        class AuthorDelete(DeleteView):
            def form_valid(self, form):
                try:
                    self.object.delete()
                    posthog_client.capture("author_deleted", properties={"author_id": self.kwargs["pk"]})
                    return HttpResponseRedirect(self.success_url)
                except Exception:
                    return HttpResponseRedirect(reverse("author-delete"))
        """,
    )


def test_existing_form_valid_returning_super_is_split() -> None:
    check_transformed(
        """\
        class ProductCreateView(CreateView):
            def form_valid(self, form):
                messages.success(self.request, "Product added.")
                # Save, then redirect.
                return super().form_valid(form)  # saves
        """,
        CapturePoint(
            "ProductCreateView",
            1,
            "product_created",
            properties=(("product_id", "self.object.pk"),),
            override="form_valid",
        ),
        """\
        from app.analytics import posthog_client

        class ProductCreateView(CreateView):
            def form_valid(self, form):
                messages.success(self.request, "Product added.")
                # Save, then redirect.
                response = super().form_valid(form)  # saves
                posthog_client.capture("product_created", properties={"product_id": self.object.pk})
                return response
        """,
    )


def test_existing_method_named_as_the_handler() -> None:
    check_transformed(
        """\
        class ProductCreateView(CreateView):
            def form_valid(self, form): return super().form_valid(form)
        """,
        CapturePoint("ProductCreateView.form_valid", 2, "product_created"),
        """\
        from app.analytics import posthog_client

        class ProductCreateView(CreateView):
            def form_valid(self, form):
                response = super().form_valid(form)
                posthog_client.capture("product_created")
                return response
        """,
    )


def test_existing_perform_create_captures_after_the_save() -> None:
    check_transformed(
        """\
        class OrderViewSet(viewsets.ModelViewSet):
            def perform_create(self, serializer):
                serializer.save(user=self.request.user)
        """,
        CapturePoint(
            "OrderViewSet",
            1,
            "order_created",
            distinct_id="self.request.user.pk",
            after_line=3,
            override="perform_create",
        ),
        """\
        from app.analytics import posthog_client

        class OrderViewSet(viewsets.ModelViewSet):
            def perform_create(self, serializer):
                serializer.save(user=self.request.user)
                posthog_client.capture("order_created", distinct_id=str(self.request.user.pk))
        """,
    )


def test_existing_perform_destroy_captures_after_the_parent_call() -> None:
    check_transformed(
        """\
        class OrderViewSet(viewsets.ModelViewSet):
            def perform_destroy(self, instance):
                log(instance)
                super().perform_destroy(instance)
        """,
        CapturePoint("OrderViewSet.perform_destroy", 2, "order_deleted"),
        """\
        from app.analytics import posthog_client

        class OrderViewSet(viewsets.ModelViewSet):
            def perform_destroy(self, instance):
                log(instance)
                super().perform_destroy(instance)
                posthog_client.capture("order_deleted")
        """,
    )


def test_noop_class_already_captures_the_event() -> None:
    check_noop(
        """\
        class ProductUpdateView(UpdateView):
            def post(self, request, *args, **kwargs):
                analytics.capture("product_updated")
                return super().post(request, *args, **kwargs)
        """,
        CapturePoint("ProductUpdateView", 1, "product_updated", override="form_valid"),
    )


def test_noop_class_without_override() -> None:
    notes = check_noop(
        "class Thing:\n    pass\n",
        CapturePoint("Thing", 1, "thing_created"),
    )
    assert "is a class, not a function" in notes[0]


# Identify.

LOGIN = """\
    def login_view(request):
        if request.method == "POST":
            form = AuthenticationForm(request, data=request.POST)
            if form.is_valid():
                user = form.get_user()
                login(request, user)
                return redirect("home")
        return render(request, "login.html")
    """


def test_identify_with_person_properties() -> None:
    check_transformed(
        LOGIN,
        IdentifyPoint(
            "login_view", 1, 6, "user", "user.pk", "user_logged_in", person_properties=("email",)
        ),
        """\
        from app.analytics import posthog_client
        from posthog import identify_context

        def login_view(request):
            if request.method == "POST":
                form = AuthenticationForm(request, data=request.POST)
                if form.is_valid():
                    user = form.get_user()
                    login(request, user)
                    identify_context(str(user.pk))
                    posthog_client.set(distinct_id=str(user.pk), properties={"email": user.email})
                    posthog_client.capture("user_logged_in", distinct_id=str(user.pk))
                    return redirect("home")
            return render(request, "login.html")
        """,
    )


def test_identify_without_person_properties() -> None:
    check_transformed(
        """\
        def signup(user):
            login_user(user)
        """,
        IdentifyPoint("signup", 1, 2, "user", "user.id", "user_signed_up"),
        """\
        from app.analytics import posthog_client
        from posthog import identify_context

        def signup(user):
            login_user(user)
            identify_context(str(user.id))
            posthog_client.capture("user_signed_up", distinct_id=str(user.id))
        """,
    )


def test_identify_a_login_tested_by_an_if_in_the_branch_it_takes() -> None:
    """``if login_user(user):`` whose branches both return: after the whole statement is
    never reached, so the code goes first in the branch the login's success takes."""
    check_transformed(
        """\
        def login(user):
            if login_user(user):
                flash("Welcome back.")
                return redirect("/")
            else:
                return redirect("/blocked")
        """,
        IdentifyPoint("login", 1, 2, "user", "user.id", "user_logged_in"),
        """\
        from app.analytics import posthog_client
        from posthog import identify_context

        def login(user):
            if login_user(user):
                identify_context(str(user.id))
                posthog_client.capture("user_logged_in", distinct_id=str(user.id))
                flash("Welcome back.")
                return redirect("/")
            else:
                return redirect("/blocked")
        """,
    )


@pytest.mark.parametrize("test", ["not login_user(user)", "login_user(user) is False"])
def test_identify_a_login_whose_failure_an_if_tests_past_that_if(test: str) -> None:
    check_transformed(
        """\
        def login(user):
            if TEST:
                return redirect("/blocked")
            return redirect("/")
        """.replace("TEST", test),
        IdentifyPoint("login", 1, 2, "user", "user.id", "user_logged_in"),
        """\
        from app.analytics import posthog_client
        from posthog import identify_context

        def login(user):
            if TEST:
                return redirect("/blocked")
            identify_context(str(user.id))
            posthog_client.capture("user_logged_in", distinct_id=str(user.id))
            return redirect("/")
        """.replace("TEST", test),
    )


def test_identify_skips_a_capture_already_there() -> None:
    check_transformed(
        """\
        def signup(user):
            login_user(user)
            analytics.capture("user_signed_up")
        """,
        IdentifyPoint("signup", 1, 2, "user", "user.id", "user_signed_up"),
        """\
        from posthog import identify_context

        def signup(user):
            login_user(user)
            identify_context(str(user.id))
            analytics.capture("user_signed_up")
        """,
    )


def test_noop_identify_already_there() -> None:
    check_noop(
        """\
        def signup(user):
            login_user(user)
            posthog.identify_context(str(user.id))
        """,
        IdentifyPoint("signup", 1, 2, "user", "user.id", "user_signed_up"),
    )


def test_noop_identify_call_line_outside_the_handler() -> None:
    notes = check_noop(
        """\
        def signup(user):
            login_user(user)
        """,
        IdentifyPoint("signup", 1, 40, "user", "user.id", "user_signed_up"),
    )
    assert notes == [
        f"{PATH}: handler signup (line 1) has no statement at line 40; "
        "identify and capture of user_signed_up not inserted"
    ]


def test_noop_identify_marked_ignore() -> None:
    notes = check_noop(
        """\
        def signup(user):  # posthog-setup: ignore[identify]
            login_user(user)
        """,
        IdentifyPoint("signup", 1, 2, "user", "user.id", "user_signed_up"),
    )
    assert "ignore" in notes[0]


# Logout.


def test_logout_before_the_call_only_where_someone_is_logged_in() -> None:
    # A visitor nobody is logged in as logs nobody out: no event, not one as nobody.
    check_transformed(
        """\
        @bp.route("/logout")
        def logout():
            # Forget the session.
            logout_user()
            return redirect("/")
        """,
        LogoutPoint(
            "logout",
            2,
            4,
            "user_logged_out",
            distinct_id="current_user.id",
            guard="current_user.is_authenticated",
        ),
        """\
        from app.analytics import posthog_client

        @bp.route("/logout")
        def logout():
            if current_user.is_authenticated:
                posthog_client.capture("user_logged_out", distinct_id=str(current_user.id))
            # Forget the session.
            logout_user()
            return redirect("/")
        """,
    )


def test_logout_without_a_distinct_id() -> None:
    check_transformed(
        """\
        def logout_view(request):
            logout(request)
            return redirect("/")
        """,
        LogoutPoint("logout_view", 1, 2, "user_logged_out"),
        """\
        from app.analytics import posthog_client

        def logout_view(request):
            posthog_client.capture("user_logged_out")
            logout(request)
            return redirect("/")
        """,
    )


def test_noop_logout_already_captured() -> None:
    check_noop(
        """\
        def logout_view(request):
            client.capture("user_logged_out")
            logout(request)
        """,
        LogoutPoint("logout_view", 1, 3, "user_logged_out"),
    )


# Exceptions.


def test_exception_with_the_error_parameter() -> None:
    check_transformed(
        """\
        @app.errorhandler(Exception)
        def internal_error(error):
            # A failed request may leave the session mid-transaction.
            db.session.rollback()
            return {"error": "internal"}, 500
        """,
        ExceptionPoint("internal_error", 2, "error"),
        """\
        from app.analytics import posthog_client

        @app.errorhandler(Exception)
        def internal_error(error):
            posthog_client.capture_exception(error)
            # A failed request may leave the session mid-transaction.
            db.session.rollback()
            return {"error": "internal"}, 500
        """,
    )


def test_exception_without_an_error_parameter_after_the_docstring() -> None:
    check_transformed(
        '''\
        def server_error(request):
            """The 500 page."""
            return render(request, "500.html", status=500)
        ''',
        ExceptionPoint("server_error", 1, None),
        '''\
        import sys
        from app.analytics import posthog_client

        def server_error(request):
            """The 500 page."""
            posthog_client.capture_exception(sys.exc_info()[1])
            return render(request, "500.html", status=500)
        ''',
    )


def test_exception_in_a_one_line_async_handler() -> None:
    check_transformed(
        """\
        async def on_error(request, exc): return JSONResponse({}, status_code=500)
        """,
        ExceptionPoint("on_error", 1, "exc"),
        """\
        from app.analytics import posthog_client

        async def on_error(request, exc):
            posthog_client.capture_exception(exc)
            return JSONResponse({}, status_code=500)
        """,
    )


def test_noop_exception_already_captured() -> None:
    check_noop(
        """\
        def internal_error(error):
            sentry_or_posthog.capture_exception(error)
            return "", 500
        """,
        ExceptionPoint("internal_error", 1, "error"),
    )


# The fixture projects' own files.


def instrument_fixture(
    relative: str,
    points: list[CapturePoint | IdentifyPoint | LogoutPoint | ExceptionPoint],
    client: ClientImport,
) -> str:
    source = fixture_source(relative)
    planned = file_points(points, relative)
    result, notes = instrument_file_with_notes(source, relative, planned, client)
    assert notes == []
    compile(result, relative, "exec")
    check_idempotent(result, planned, client, relative)
    return result


def test_fixture_flask_posts() -> None:
    result = instrument_fixture(
        "flask_blog/blog/posts.py",
        [
            CapturePoint(
                "create",
                46,
                "post_created",
                (("post_id", "post.id"),),
                "current_user.id",
                after_line=53,
            ),
            CapturePoint(
                "edit",
                60,
                "post_updated",
                (("post_id", "post.id"),),
                "current_user.id",
                after_line=65,
            ),
            CapturePoint(
                "delete",
                72,
                "post_deleted",
                (("post_id", "post_id"),),
                "current_user.id",
                after_line=75,
            ),
            CapturePoint(
                "like",
                81,
                "post_liked",
                (("post_id", "post_id"),),
                "current_user.id",
                after_line=84,
            ),
            CapturePoint(
                "add_comment",
                90,
                "comment_created",
                (("post_id", "post_id"), ("comment_id", "comment.id")),
                "current_user.id",
                after_line=94,
            ),
        ],
        ClientImport("analytics", 1),
    )
    assert "from .analytics import posthog_client" in result
    assert line_after(result, "db.session.commit()") == "posthog_client.capture("
    assert line_before(result, '"post_created"') == "posthog_client.capture("
    for event in ("post_created", "post_updated", "post_deleted", "post_liked", "comment_created"):
        assert result.count(f'"{event}"') == 1
    # The GET path of create is untouched.
    assert "    return POST_FORM\n" in result


def test_fixture_flask_auth() -> None:
    result = instrument_fixture(
        "flask_blog/blog/auth.py",
        [
            IdentifyPoint(
                "signup", 21, 31, "user", "user.id", "user_signed_up", ("email", "username")
            ),
            IdentifyPoint("login", 37, 41, "user", "user.id", "user_logged_in"),
            LogoutPoint(
                "logout",
                48,
                49,
                "user_logged_out",
                "current_user.id",
                "current_user.is_authenticated",
            ),
        ],
        ClientImport("analytics", 1),
    )
    assert "from posthog import identify_context\n" in result
    assert line_after(result, "        login_user(user)") == "identify_context(str(user.id))"
    assert line_after(result, "login_user(user, remember=") == "identify_context(str(user.id))"
    assert result.index('"user_logged_out"') < result.index("    logout_user()")
    assert 'properties={"email": user.email, "username": user.username}' in result


def test_fixture_flask_errors() -> None:
    result = instrument_fixture(
        "flask_blog/blog/errors.py",
        # The 500 handler is the integration's: Flask calls it after the signal it captures in.
        [ExceptionPoint("unexpected_error", 28, "error")],
        ClientImport("analytics", 1),
    )
    assert line_after(result, "def internal_error") == (
        "# A failed request may leave the session mid-transaction."
    )
    assert line_after(result, "def unexpected_error") == "posthog_client.capture_exception(error)"
    assert "def not_found(error: HTTPException) -> Any:\n    return" in result


def test_fixture_fastapi_routers() -> None:
    projects = instrument_fixture(
        "fastapi_tasks/tasks/routers/projects.py",
        [
            CapturePoint(
                "create_project",
                32,
                "project_created",
                (("project_id", "project.id"),),
                "user.id",
                after_line=37,
            ),
            CapturePoint(
                "delete_project",
                49,
                "project_deleted",
                (("project_id", "project_id"),),
                "user.id",
                after_line=53,
            ),
        ],
        ClientImport("analytics", 2),
    )
    assert "from ..analytics import posthog_client" in projects
    assert line_after(projects, "    db.commit()") == "posthog_client.capture("
    delete = projects[projects.index("async def delete_project") :]
    assert delete.index("db.commit()") < delete.index('"project_deleted"') < delete.index("@router")

    tasks = instrument_fixture(
        "fastapi_tasks/tasks/routers/tasks.py",
        [
            CapturePoint(
                "create_task",
                35,
                "task_created",
                (("task_id", "task.id"),),
                "user.id",
                after_line=41,
            ),
            CapturePoint(
                "update_task",
                51,
                "task_updated",
                (("task_id", "task_id"),),
                "user.id",
                after_line=57,
            ),
            CapturePoint(
                "archive_task",
                83,
                "task_archived",
                (("task_id", "task_id"),),
                "user.id",
                after_line=86,
            ),
        ],
        ClientImport("tasks.analytics"),
    )
    assert "from tasks.analytics import posthog_client" in tasks
    assert line_before(tasks, '"task_archived"') == "posthog_client.capture("
    assert tasks.count("posthog_client.capture(") == 3

    auth = instrument_fixture(
        "fastapi_tasks/tasks/routers/auth.py",
        [
            CapturePoint("signup", 34, "user_signed_up", (), "user.id", after_line=41),
            LogoutPoint("logout", 46, 51, "user_logged_out", "current_user.id"),
        ],
        ClientImport("analytics", 2),
    )
    assert line_after(auth, "db.commit()") == (
        'posthog_client.capture("user_signed_up", distinct_id=str(user.id))'
    )
    assert line_before(auth, "db.add(RevokedToken") == (
        'posthog_client.capture("user_logged_out", distinct_id=str(current_user.id))'
    )


def test_fixture_django_views() -> None:
    accounts = instrument_fixture(
        "django_shop/accounts/views.py",
        [
            IdentifyPoint("login_view", 11, 16, "user", "user.pk", "user_logged_in", ("email",)),
            IdentifyPoint("signup", 23, 28, "user", "user.pk", "user_signed_up", ("email",)),
            LogoutPoint(
                "logout_view",
                36,
                37,
                "user_logged_out",
                "request.user.pk",
                "request.user.is_authenticated",
            ),
        ],
        ClientImport("shop.analytics"),
    )
    assert accounts.count("identify_context(str(user.pk))") == 2
    assert line_after(accounts, "login(request, user)") == "identify_context(str(user.pk))"
    assert accounts.index('"user_logged_out"') < accounts.index("    logout(request)")

    catalog = instrument_fixture(
        "django_shop/catalog/views.py",
        [
            CapturePoint(
                "product_detail",
                18,
                "review_created",
                (("product_id", "product.pk"),),
                "request.user.pk",
                after_line=27,
            ),
            CapturePoint(
                "ProductCreateView.form_valid",
                45,
                "product_created",
                (("product_id", "self.object.pk"),),
                "self.request.user.pk",
                override="form_valid",
            ),
            CapturePoint(
                "ProductUpdateView",
                50,
                "product_updated",
                (("product_id", "self.object.pk"),),
                "self.request.user.pk",
                override="form_valid",
            ),
            CapturePoint(
                "ProductDeleteView",
                55,
                "product_deleted",
                (("product_id", "self.object.pk"),),
                "self.request.user.pk",
                override="form_valid",
            ),
        ],
        ClientImport("shop.analytics"),
    )
    assert line_after(catalog, "review.save()") == "posthog_client.capture("
    assert "response = super().form_valid(form)" in catalog
    delete_view = catalog[catalog.index("class ProductDeleteView") :]
    assert delete_view.index("response = super().form_valid(form)") < delete_view.index(
        '"product_deleted"'
    )

    orders = instrument_fixture(
        "django_shop/orders/views.py",
        [
            CapturePoint(
                "OrderViewSet.perform_create",
                25,
                "order_created",
                (("order_id", "serializer.instance.pk"),),
                "self.request.user.pk",
                after_line=26,
            ),
            CapturePoint(
                "ShipmentViewSet.cancel",
                41,
                "shipment_cancelled",
                (("shipment_id", "shipment.pk"),),
                "request.user.pk",
                after_line=46,
            ),
            CapturePoint(
                "checkout",
                71,
                "checkout_completed",
                (("order_id", "order.pk"),),
                "request.user.pk",
                after_line=78,
            ),
        ],
        ClientImport("shop.analytics"),
    )
    assert line_before(orders, '"order_created"') == "posthog_client.capture("
    assert (
        line_after(orders, 'shipment.save(update_fields=["status"])') == "posthog_client.capture("
    )
    # Inside the atomic block, after the items are created.
    checkout = orders[orders.index("def checkout") :]
    assert (
        checkout.index("bulk_create")
        < checkout.index('"checkout_completed"')
        < checkout.index("    return Response")
    )

    shop = instrument_fixture(
        "django_shop/shop/views.py",
        [ExceptionPoint("server_error", 10, None)],
        ClientImport("shop.analytics"),
    )
    assert (
        line_after(shop, "def server_error")
        == "posthog_client.capture_exception(sys.exc_info()[1])"
    )
    assert "def page_not_found(request, exception):\n    return" in shop


# Edge cases of placement.


def test_change_made_by_the_returned_call_is_split() -> None:
    check_transformed(
        """\
        def create(data):
            return Post.objects.create(**data)  # the write
        """,
        CapturePoint(
            "create", 1, "post_created", properties=(("post_id", "result.pk"),), after_line=2
        ),
        """\
        from app.analytics import posthog_client

        def create(data):
            result = Post.objects.create(**data)  # the write
            posthog_client.capture("post_created", properties={"post_id": result.pk})
            return result
        """,
    )


def test_change_in_a_one_line_if_block() -> None:
    check_transformed(
        """\
        def like(post):
            if post.visible: post.likes += 1; db.commit()
            return post
        """,
        CapturePoint("like", 1, "post_liked", after_line=2),
        """\
        from app.analytics import posthog_client

        def like(post):
            if post.visible:
                post.likes += 1
                db.commit()
                posthog_client.capture("post_liked")
            return post
        """,
    )


def test_override_added_to_a_one_line_class() -> None:
    check_transformed(
        """\
        class ProductCreateView(CreateView): model = Product
        """,
        CapturePoint("ProductCreateView", 1, "product_created", override="form_valid"),
        """\
        from app.analytics import posthog_client

        class ProductCreateView(CreateView):
            model = Product

            def form_valid(self, form):
                response = super().form_valid(form)
                posthog_client.capture("product_created")
                return response
        """,
    )


def test_unknown_override_passes_everything_to_the_parent() -> None:
    check_transformed(
        """\
        class SubmitView(FormView):
            form_class = ContactForm
        """,
        CapturePoint("SubmitView", 1, "contact_submitted", override="post"),
        """\
        from app.analytics import posthog_client

        class SubmitView(FormView):
            form_class = ContactForm

            def post(self, *args, **kwargs):
                response = super().post(*args, **kwargs)
                posthog_client.capture("contact_submitted")
                return response
        """,
    )


def test_all_kinds_in_one_file_in_one_pass() -> None:
    check_transformed(
        """\
        def login(user):
            login_user(user)
            return "ok"


        def logout():
            logout_user()


        def create():
            return save()


        def failed(error):
            return "", 500
        """,
        [
            IdentifyPoint("login", 1, 2, "user", "user.id", "user_logged_in"),
            LogoutPoint("logout", 6, 7, "user_logged_out"),
            CapturePoint("create", 10, "thing_created"),
            ExceptionPoint("failed", 14, "error"),
        ],
        """\
        from app.analytics import posthog_client
        from posthog import identify_context

        def login(user):
            login_user(user)
            identify_context(str(user.id))
            posthog_client.capture("user_logged_in", distinct_id=str(user.id))
            return "ok"


        def logout():
            posthog_client.capture("user_logged_out")
            logout_user()


        def create():
            posthog_client.capture("thing_created")
            return save()


        def failed(error):
            posthog_client.capture_exception(error)
            return "", 500
        """,
    )


def test_logout_in_a_one_line_block_goes_before_the_whole_line() -> None:
    check_transformed(
        """\
        def logout():
            if current_user: flash("bye"); logout_user()
            return redirect("/")
        """,
        LogoutPoint("logout", 1, 2, "user_logged_out"),
        """\
        from app.analytics import posthog_client

        def logout():
            if current_user:
                posthog_client.capture("user_logged_out")
                flash("bye")
                logout_user()
            return redirect("/")
        """,
    )


def test_identify_without_a_proven_key_captures_the_event_alone() -> None:
    # Nothing proves which attribute holds the user's key: no identity is guessed.
    check_transformed(
        """\
        def signup(user):
            login_user(user)
        """,
        IdentifyPoint("signup", 1, 2, "user", None, "user_signed_up"),
        """\
        from app.analytics import posthog_client

        def signup(user):
            login_user(user)
            posthog_client.capture("user_signed_up")
        """,
    )


def test_split_return_picks_a_name_the_handler_does_not_use() -> None:
    # The handler's own ``result`` is what the capture reports; the split must not
    # rebind it to the response (the handler then failed with a 500).
    check_transformed(
        """\
        def create(data):
            result = validate(data)
            result_2 = None
            return Post.objects.create(**data, checked=result.ok)
        """,
        CapturePoint(
            "create", 1, "post_created", properties=(("valid", "result.ok"),), after_line=4
        ),
        """\
        from app.analytics import posthog_client

        def create(data):
            result = validate(data)
            result_2 = None
            result_3 = Post.objects.create(**data, checked=result.ok)
            posthog_client.capture("post_created", properties={"valid": result.ok})
            return result_3
        """,
    )


def test_capture_goes_before_the_return_of_the_successful_branch() -> None:
    check_transformed(
        """\
        def reset_request():
            form = ResetForm()
            if form.validate_on_submit():
                send_reset(form.email.data)
                return redirect("/login")
            return render_template("reset.html", form=form)
        """,
        CapturePoint("reset_request", 1, "password_reset_requested", before_line=5),
        """\
        from app.analytics import posthog_client

        def reset_request():
            form = ResetForm()
            if form.validate_on_submit():
                send_reset(form.email.data)
                posthog_client.capture("password_reset_requested")
                return redirect("/login")
            return render_template("reset.html", form=form)
        """,
    )


def test_split_super_return_avoids_a_response_the_method_already_uses() -> None:
    check_transformed(
        """\
        class PostCreate(CreateView):
            def form_valid(self, form):
                response = form.instance
                return super().form_valid(form)
        """,
        CapturePoint("PostCreate.form_valid", 2, "post_created", after_line=4),
        """\
        from app.analytics import posthog_client

        class PostCreate(CreateView):
            def form_valid(self, form):
                response = form.instance
                response_2 = super().form_valid(form)
                posthog_client.capture("post_created")
                return response_2
        """,
    )


# A name the user's id reads is used only where it means the import the point asks for.

SESSION_USER = CapturePoint(
    "create",
    4,
    "post_created",
    distinct_id='session["user_id"]',
    guard='"user_id" in session',
    after_line=5,
    imports=(("flask", "session"),),
)


def test_an_imported_name_is_added_where_the_module_lacks_it() -> None:
    check_transformed(
        """\
        from app.models import db


        def create():
            db.session.commit()
            return "ok"
        """,
        SESSION_USER,
        """\
        from flask import session

        from app.analytics import posthog_client
        from app.models import db


        def create():
            db.session.commit()
            posthog_client.capture(
                "post_created",
                distinct_id=str(session["user_id"]) if "user_id" in session else None,
            )
            return "ok"
        """,
    )


@pytest.mark.parametrize(
    ("binding", "imports"),
    [
        # another module's session at module level
        (
            "from app.db import session",
            "from app.analytics import posthog_client\nfrom app.db import session",
        ),
        ("import session", "import session\nfrom app.analytics import posthog_client"),
        ("session = {}", "session = {}\nfrom app.analytics import posthog_client"),
        # a star import may bind anything
        ("from app.db import *", "from app.analytics import posthog_client\nfrom app.db import *"),
    ],
)
def test_the_id_is_left_out_where_the_module_binds_the_name_otherwise(
    binding: str, imports: str
) -> None:
    body = """\
        from app.models import db


        def create():
            db.session.commit()
            {capture}return "ok"
        """
    check_transformed(
        binding + "\n" + dedent(body).format(capture=""),
        SESSION_USER,
        imports
        + "\n"
        + dedent(body).format(capture='posthog_client.capture("post_created")\n    '),
    )


def test_the_id_is_left_out_where_the_handler_binds_the_name() -> None:
    check_transformed(
        """\
        from flask import session


        def create(db):
            with db.begin() as session:
                session.commit()
            return "ok"
        """,
        SESSION_USER,
        """\
        from flask import session

        from app.analytics import posthog_client


        def create(db):
            with db.begin() as session:
                session.commit()
            posthog_client.capture("post_created")
            return "ok"
        """,
    )
