"""Jobs named in configuration: Lambda handlers a deployment names (serverless.yml, a SAM
template, a Lambda image's Dockerfile) and console scripts a manifest declares."""

from __future__ import annotations

import textwrap
from pathlib import Path

import hypothesis
import pytest
from hypothesis import strategies as st

from posthog_setup.analysis.model import Analysis
from posthog_setup.frameworks.jobs.analysis import ENTRY
from posthog_setup.frameworks.jobs.declared import declared_entries, reads_entry_config
from tests.analysers import analyse_project
from tests.analysis.web_helpers import analyse

#: A handler whose parameters say nothing of Lambda, and one that looks like a handler.
HANDLERS = {
    "orders/ingest.py": """
        import sqlite3


        def store_batch(batch, runtime):
            db = sqlite3.connect("orders.db")
            db.executemany("INSERT INTO orders (body) VALUES (?)", batch["Records"])
            db.commit()
        """,
    "orders/legacy.py": """
        import sqlite3


        def handler(event, context):
            db = sqlite3.connect("orders.db")
            db.execute("DELETE FROM orders")
            db.commit()
        """,
}


def entries(analysis: Analysis) -> list[tuple[str, str]]:
    return sorted((a.name, a.prefix) for a in analysis.apps if a.kind == ENTRY)


def with_config(file: str, text: str, sources: dict[str, str] = HANDLERS) -> Analysis:
    return analyse({**sources, file: text})


SERVERLESS = """
    service: orders
    provider:
      name: aws
      runtime: python3.12   # the default of every function
    functions:
      ingest:
        handler: orders/ingest.store_batch
        events:
          - sqs:
              arn: arn:aws:sqs:eu-west-1:000000000000:orders
              handler: orders/legacy.handler
    """


def test_a_handler_serverless_yml_names_is_one_whatever_its_parameters() -> None:
    analysis = with_config("serverless.yml", SERVERLESS)
    # The legacy handler has a handler's signature, but no function of the service runs
    # it; a key inside a sequence item names nothing.
    assert entries(analysis) == [("orders.ingest.store_batch", "lambda")]
    [route] = [r for r in analysis.routes if r.framework == "jobs"]
    assert (route.handler.qualname, route.mutating) == ("store_batch", True)


def test_without_a_deployment_the_signature_decides() -> None:
    assert entries(analyse(HANDLERS)) == [("orders.legacy.handler", "lambda")]


def test_a_deployment_decides_for_its_own_folder_only() -> None:
    # One service deployed with serverless.yml, another whose handler is found by its
    # signature.
    sources = {
        **{f"orders/{file}": text for file, text in HANDLERS.items()},
        "orders/serverless.yml": SERVERLESS,
        "billing/charge.py": """
            import sqlite3


            def handler(event, context):
                sqlite3.connect("billing.db").execute("DELETE FROM charges")
            """,
    }
    assert entries(analyse(sources)) == [
        ("billing.charge.handler", "lambda"),
        ("orders.orders.ingest.store_batch", "lambda"),
    ]


@pytest.mark.parametrize(
    "config",
    [
        # another runtime: its handler is no Python function
        "provider:\n  runtime: nodejs20.x\nfunctions:\n  a:\n    handler: orders/ingest.store_batch\n",
        # a handler built from variables
        "functions:\n  a:\n    handler: ${self:custom.dir}/ingest.store_batch\n",
        # a module that is no file of the project
        "functions:\n  a:\n    handler: src/ingest.store_batch\n",
        # not YAML's indentation
        "functions:\n\ta:\n\t\thandler: orders/ingest.store_batch\n",
    ],
    ids=["node-runtime", "variables", "no-such-file", "tabs"],
)
def test_a_serverless_yml_that_names_no_python_function_leaves_the_signature_to_decide(
    config: str,
) -> None:
    assert entries(with_config("serverless.yml", config)) == [("orders.legacy.handler", "lambda")]


def test_a_function_packaged_from_its_own_module_folder() -> None:
    config = """
        functions:
          ingest:
            module: orders
            handler: "ingest.store_batch"
            runtime: python3.11
        """
    assert entries(with_config("serverless.yaml", config)) == [
        ("orders.ingest.store_batch", "lambda")
    ]


TEMPLATE = """
    AWSTemplateFormatVersion: '2010-09-09'
    Transform: AWS::Serverless-2016-10-31
    Description: >
      Orders: Handler: orders.nothing
    Globals:
      Function:
        Runtime: python3.12
        CodeUri: orders/
    Resources:
      IngestFunction:
        Type: AWS::Serverless::Function # the queue consumer
        Properties:
          Handler: ingest.store_batch
          Events:
            Queue:
              Type: SQS
      TaggedFunction:
        Type: AWS::Serverless::Function
        Properties:
          Handler: !Sub "${Prefix}.handler"
      ImageFunction:
        Type: AWS::Serverless::Function
        Properties:
          PackageType: Image
          Handler: legacy.handler
      BucketFunction:
        Type: "AWS::Lambda::Function"
        Properties:
          Handler: legacy.handler
          Code:
            S3Bucket: artifacts
    Outputs:
      Queue:
        Value: !GetAtt IngestQueue.Arn
    """


def test_a_sam_template_names_its_handlers_under_their_code_uri() -> None:
    # CodeUri from Globals; a tagged handler, an image's and one from a bucket name no file.
    assert entries(with_config("template.yaml", TEMPLATE)) == [
        ("orders.ingest.store_batch", "lambda")
    ]


def test_a_cloudformation_function_with_its_code_in_a_folder() -> None:
    config = """
        Resources:
          Ingest:
            Type: AWS::Lambda::Function
            Properties:
              Runtime: "python3.12"
              Code: ./orders
              Handler: 'ingest.store_batch'
        """
    assert entries(with_config("template.yml", config)) == [("orders.ingest.store_batch", "lambda")]


DOCKERFILE = """
    # syntax=docker/dockerfile:1
    FROM --platform=linux/arm64 public.ecr.aws/lambda/python:3.12 AS base
    COPY requirements.txt ${LAMBDA_TASK_ROOT}
    RUN pip install -r requirements.txt \\
        --target "${LAMBDA_TASK_ROOT}"

    FROM base
    COPY orders/ ${LAMBDA_TASK_ROOT}/
    CMD [ "ingest.store_batch" ]
    """


def test_a_lambda_images_cmd_names_its_handler_where_copy_put_it() -> None:
    assert entries(with_config("Dockerfile", DOCKERFILE)) == [
        ("orders.ingest.store_batch", "lambda")
    ]


@pytest.mark.parametrize(
    ("dockerfile", "expected"),
    [
        # not a Lambda image: its CMD is a command line
        ('FROM python:3.12-slim\nCMD ["ingest.store_batch"]\n', "orders.legacy.handler"),
        # the runtime interface client on another base image runs the handler CMD names
        (
            "FROM python:3.12-slim\nCOPY orders /var/task\n"
            'ENTRYPOINT ["python", "-m", "awslambdaric"]\nCMD ["ingest.store_batch"]\n',
            "orders.ingest.store_batch",
        ),
        # one file copied to the task root, the handler in shell form
        (
            "FROM public.ecr.aws/lambda/python:3.11\n"
            "COPY orders/ingest.py ${LAMBDA_TASK_ROOT}\nCMD ingest.store_batch\n",
            "orders.ingest.store_batch",
        ),
        # copied relative to the working directory, a Lambda image's task root
        (
            'FROM public.ecr.aws/lambda/python:3.12\nCOPY orders/ ./\nCMD ["ingest.store_batch"]\n',
            "orders.ingest.store_batch",
        ),
        # ... unless it moved elsewhere
        (
            "FROM public.ecr.aws/lambda/python:3.12\nWORKDIR /opt/app\nCOPY orders/ ./\n"
            'CMD ["ingest.store_batch"]\n',
            "orders.legacy.handler",
        ),
        # code copied from another stage: no file of the project
        (
            "FROM public.ecr.aws/lambda/python:3.11\n"
            "COPY --from=build /app ${LAMBDA_TASK_ROOT}\nCMD [unclosed\n",
            "orders.legacy.handler",
        ),
    ],
    ids=["not-lambda", "awslambdaric", "one-file", "workdir", "other-workdir", "unreadable-cmd"],
)
def test_which_dockerfiles_name_a_handler(dockerfile: str, expected: str) -> None:
    assert entries(with_config("Dockerfile", dockerfile)) == [(expected, "lambda")]


def test_a_dockerfile_beside_its_code() -> None:
    sources = {
        "deploy/Dockerfile": (
            'FROM public.ecr.aws/lambda/python:3.12\nCOPY . ${LAMBDA_TASK_ROOT}\nCMD ["app.main"]\n'
        ),
        "deploy/app.py": "def main(payload, ctx):\n    open('/tmp/seen', 'a').write('x')\n",
    }
    assert entries(analyse(sources)) == [("deploy.app.main", "lambda")]


SCRIPT_MODULE = """
    import sys
    from pathlib import Path


    def prune():
        folder = Path(sys.argv[1])
        removed = [p for p in folder.glob("*.tmp")]
        for path in removed:
            path.unlink()
        Path("pruned.log").write_text(str(len(removed)))


    def show():
        print(sorted(Path(".").iterdir()))
    """


@pytest.mark.parametrize(
    ("manifest", "text"),
    [
        ("pyproject.toml", '[project]\nname = "t"\n[project.scripts]\nprune = "tools.cli:prune"\n'),
        (
            "pyproject.toml",
            '[tool.poetry]\nname = "t"\n[tool.poetry.scripts]\nprune = "tools.cli:prune"\n'
            'show = { reference = "tools.cli:show", type = "console" }\n',
        ),
        (
            "pyproject.toml",
            '[tool.poetry.scripts]\nprune = { callable = "tools.cli:prune", extras = ["x"] }\n',
        ),
        (
            "setup.cfg",
            "[metadata]\nname = t\n[options.entry_points]\nconsole_scripts =\n"
            "    prune = tools.cli:prune [extra]\n",
        ),
        (
            "setup.py",
            "from setuptools import setup\nsetup(name='t', entry_points={'console_scripts': "
            "['prune=tools.cli:prune']})\n",
        ),
        (
            "setup.py",
            "import setuptools\nsetuptools.setup(entry_points={'console_scripts': "
            "'''\nprune = tools.cli:prune\n'''})\n",
        ),
    ],
    ids=["pep621", "poetry", "poetry-callable", "setup-cfg", "setup-py", "setup-py-text"],
)
def test_a_console_script_is_an_entry_point_without_a_main_block(manifest: str, text: str) -> None:
    analysis = analyse({"tools/__init__.py": "", "tools/cli.py": SCRIPT_MODULE, manifest: text})
    found = dict(entries(analysis))
    assert found["tools.cli.prune"] == "cron"
    assert set(found) <= {"tools.cli.prune", "tools.cli.show"}
    [prune] = [r for r in analysis.routes if r.handler.qualname == "prune"]
    assert prune.mutating


def test_a_script_of_a_src_layout_package_and_one_of_a_folder_of_its_own() -> None:
    sources = {
        "pyproject.toml": '[project.scripts]\nprune = "tools.cli:prune"\n',
        "src/tools/__init__.py": "",
        "src/tools/cli.py": SCRIPT_MODULE,
    }
    analysis = analyse(sources)
    assert [(a.file, a.name.rpartition(".")[2]) for a in analysis.apps] == [
        ("src/tools/cli.py", "prune")
    ]
    sources = {
        "pyproject.toml": '[project.scripts]\nprune = "tools.cli:prune"\n',
        "lib/tools/__init__.py": "",
        "lib/tools/cli.py": SCRIPT_MODULE,
    }
    assert entries(analyse(sources)) == [("lib.tools.cli.prune", "cron")]


def test_a_script_naming_a_click_group_makes_its_commands_the_runs() -> None:
    module = """
        import click


        @click.group()
        def cli():
            pass


        @cli.command()
        def prune():
            open("pruned.log", "w").write("done")
        """
    analysis = analyse(
        {"tools/cli.py": module, "pyproject.toml": '[project.scripts]\nt = "tools.cli:cli"\n'}
    )
    assert entries(analysis) == [("tools.cli.prune", "cron")]


@pytest.mark.parametrize(
    ("manifest", "text"),
    [
        ("pyproject.toml", "[project.scripts\nprune = 'tools.cli:prune'\n"),
        ("pyproject.toml", '[project.scripts]\nprune = "tools.cli:App.prune"\n'),
        ("setup.cfg", "[options.entry_points\nconsole_scripts = prune = tools.cli:prune\n"),
        ("setup.py", "setup(entry_points={'console_scripts': ['prune=tools.cli:prune'\n"),
        ("setup.py", "setup(entry_points=ENTRY_POINTS)\n"),
    ],
    ids=["broken-toml", "method", "broken-cfg", "broken-setup-py", "not-literal"],
)
def test_a_manifest_that_cannot_be_read_names_nothing(manifest: str, text: str) -> None:
    analysis = analyse({"tools/cli.py": SCRIPT_MODULE, manifest: text})
    assert entries(analysis) == []


def test_configuration_of_tests_and_build_output_is_not_the_projects() -> None:
    assert not reads_entry_config(".aws-sam/build/template.yaml")
    assert reads_entry_config("infra/template.yaml")
    assert reads_entry_config("docker/api.Dockerfile")
    analysis = with_config("tests/fixtures/serverless.yml", SERVERLESS)
    assert entries(analysis) == [("orders.legacy.handler", "lambda")]


def test_declared_entries_resolve_only_to_files_of_the_project() -> None:
    # Serverless packages the service's folder: a handler never reaches above it.
    config = "functions:\n  a:\n    handler: ../shared/ingest.store_batch\n"
    declared = declared_entries({"deploy/serverless.yml": config}, ["shared/ingest.py"])
    assert not declared.lambdas
    assert not declared.deployed
    # A SAM template's CodeUri may name a folder beside the template's, not outside the
    # project.
    template = (
        "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: ../shared\n      Handler: ingest.store_batch\n"
    )
    declared = declared_entries({"deploy/template.yaml": template}, ["shared/ingest.py"])
    assert declared.lambdas == {("shared/ingest.py", "store_batch")}
    declared = declared_entries({"template.yaml": template}, ["shared/ingest.py"])
    assert not declared.lambdas


def test_a_changed_deployment_is_read_again_with_the_cache_on(tmp_path: Path) -> None:
    for file, text in HANDLERS.items():
        (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / file).write_text(textwrap.dedent(text))
    (tmp_path / "serverless.yml").write_text(textwrap.dedent(SERVERLESS))
    assert entries(analyse_project(tmp_path)) == [("orders.ingest.store_batch", "lambda")]
    (tmp_path / "serverless.yml").unlink()
    assert entries(analyse_project(tmp_path)) == [("orders.legacy.handler", "lambda")]


#: Pieces of configuration text, shuffled into anything.
_PIECES = [
    *" \t\n-:#'\"[]{}!&*|>\\=.,/",
    "a",
    "handler",
    "functions",
    "Resources",
    "FROM public.ecr.aws/lambda/python",
    "CMD",
    "COPY",
    "[project.scripts]",
    "console_scripts",
    "setup(",
]


@pytest.mark.parametrize(
    "name",
    ["serverless.yml", "template.yaml", "Dockerfile", "pyproject.toml", "setup.cfg", "setup.py"],
)
@hypothesis.settings(max_examples=150, deadline=None)
@hypothesis.given(pieces=st.lists(st.sampled_from(_PIECES), max_size=60))
def test_no_configuration_text_raises(name: str, pieces: list[str]) -> None:
    project = {"a.py", "a/handler.py"}
    declared = declared_entries({name: "".join(pieces)}, sorted(project))
    # Whatever it reads, it names only files of the project.
    assert {file for file, _ in declared.lambdas | declared.scripts} <= project
