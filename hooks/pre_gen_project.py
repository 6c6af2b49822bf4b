"""Check cookiecutter's answers before anything is written.

Two places run these rules for cookiecutter and cruft. `local_extensions.AnswerGuard` loads this
file as a module and checks each answer given from outside (command line, user config,
`--extra-context`, a replayed `.cruft.json`) the moment the engine first reads it, before the
project directory exists and before the answer could be rendered as a template. Then
cookiecutter runs this file as its pre-generation hook, which checks every answer once more,
including those derived from others; a non-zero exit makes cookiecutter remove the directory it
had just made. Copier checks the same rules with the `validator:` expressions in copier.yml and
prints the same messages: the template's tests hold them to each other.
"""

import json
import keyword
import sys

# Cookiecutter renders this file as a template before it runs it: only main() is meant to change.
# {% raw %}
# The union of sys.stdlib_module_names over Python 3.11-3.14, as in copier.yml.
_STDLIB_MODULE_NAMES_TEXT = """
    __future__ _abc _aix_support _android_support _apple_support _ast _asyncio _bisect _blake2
    _bootsubprocess _bz2 _codecs _codecs_cn _codecs_hk _codecs_iso2022 _codecs_jp _codecs_kr
    _codecs_tw _collections _collections_abc _colorize _compat_pickle _compression _contextvars
    _crypt _csv _ctypes _curses _curses_panel _datetime _dbm _decimal _elementtree
    _frozen_importlib _frozen_importlib_external _functools _gdbm _hashlib _heapq _hmac _imp
    _interpchannels _interpqueues _interpreters _io _ios_support _json _locale _lsprof _lzma
    _markupbase _md5 _msi _multibytecodec _multiprocessing _opcode _opcode_metadata _operator
    _osx_support _overlapped _pickle _posixshmem _posixsubprocess _py_abc _pydatetime _pydecimal
    _pyio _pylong _pyrepl _queue _random _remote_debugging _scproxy _sha1 _sha2 _sha256 _sha3
    _sha512 _signal _sitebuiltins _socket _sqlite3 _sre _ssl _stat _statistics _string _strptime
    _struct _suggestions _symtable _sysconfig _thread _threading_local _tkinter _tokenize
    _tracemalloc _typing _uuid _warnings _weakref _weakrefset _winapi _wmi _zoneinfo _zstd abc aifc
    annotationlib antigravity argparse array ast asynchat asyncio asyncore atexit audioop base64
    bdb binascii bisect builtins bz2 cProfile calendar cgi cgitb chunk cmath cmd code codecs codeop
    collections colorsys compileall compression concurrent configparser contextlib contextvars copy
    copyreg crypt csv ctypes curses dataclasses datetime dbm decimal difflib dis distutils doctest
    email encodings ensurepip enum errno faulthandler fcntl filecmp fileinput fnmatch fractions
    ftplib functools gc genericpath getopt getpass gettext glob graphlib grp gzip hashlib heapq
    hmac html http idlelib imaplib imghdr imp importlib inspect io ipaddress itertools json keyword
    lib2to3 linecache locale logging lzma mailbox mailcap marshal math mimetypes mmap modulefinder
    msilib msvcrt multiprocessing netrc nis nntplib nt ntpath nturl2path numbers opcode operator
    optparse os ossaudiodev pathlib pdb pickle pickletools pipes pkgutil platform plistlib poplib
    posix posixpath pprint profile pstats pty pwd py_compile pyclbr pydoc pydoc_data pyexpat queue
    quopri random re readline reprlib resource rlcompleter runpy sched secrets select selectors
    shelve shlex shutil signal site smtpd smtplib sndhdr socket socketserver spwd sqlite3
    sre_compile sre_constants sre_parse ssl stat statistics string stringprep struct subprocess
    sunau symtable sys sysconfig syslog tabnanny tarfile telnetlib tempfile termios textwrap this
    threading time timeit tkinter token tokenize tomllib trace traceback tracemalloc tty turtle
    turtledemo types typing unicodedata unittest urllib uu uuid venv warnings wave weakref
    webbrowser winreg winsound wsgiref xdrlib xml xmlrpc zipapp zipfile zipimport zlib zoneinfo
"""
STDLIB_MODULE_NAMES = frozenset(_STDLIB_MODULE_NAMES_TEXT.split())
# What a generated project imports or installs (runtime, dev and bench groups, their
# dependencies, the tools that build and run it), and its own top-level packages: a package of
# the same name would shadow it. The template's tests compare this with a generated environment.
_PROJECT_MODULE_NAMES_TEXT = """
    __main__ _distutils_hack _yaml aiohappyeyeballs aiohttp aiosignal annotated_doc
    annotated_types anyio ast_serialize attr attrs benchmarks certifi cfgv click coverage
    distlib fastapi filelock frozenlist h11 hatchling httpcore httpx identify idna librt
    looptime multidict mypy mypy_extensions mypyc nodeenv opentelemetry outcome packaging
    pathspec pip pkg_resources platformdirs pre_commit prometheus_client propcache pydantic
    pydantic_core python_discovery ruff setuptools sniffio sortedcontainers starlette test tests
    trio typing_extensions typing_inspection uv uvicorn virtualenv wheel yaml yarl
    """
PROJECT_MODULE_NAMES = frozenset(_PROJECT_MODULE_NAMES_TEXT.split())
ASCII_LOWER = "abcdefghijklmnopqrstuvwxyz"
ASCII_LETTERS = ASCII_LOWER + ASCII_LOWER.upper()
EMAIL_LOCAL_CHARACTERS = ASCII_LETTERS + "0123456789.!#$%&'*+/=?^_`{|}~-"
EMAIL_DOMAIN_CHARACTERS = ASCII_LETTERS + "0123456789-"
TEMPLATE_SYNTAX = ("{{", "{%", "{#")
MAX_LENGTHS = {
    "project_name": 100,
    "project_slug": 64,
    "package_name": 64,
    "description": 200,
    "author_name": 100,
    "author_email": 254,
}


def quoted(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def is_one_line(value: str) -> bool:
    return not any(
        char < " " or "\x7f" <= char <= "\x9f" or char in "\u2028\u2029" for char in value
    )


def check_project_name(value: str) -> str | None:
    if not value.strip() or not is_one_line(value):
        return f"Invalid project_name {quoted(value)}: it must be one line of text, not empty."
    return None


def check_project_slug(value: str) -> str | None:
    if (
        not value[:1]
        or value[:1] not in ASCII_LOWER
        or any(char not in ASCII_LOWER + "0123456789-" for char in value)
        or "--" in value
        or value.endswith("-")
    ):
        return (
            f"Invalid project_slug {quoted(value)}: use lower-case ASCII letters and digits in"
            " words joined by single hyphens, starting with a letter (like my-async-service)."
        )
    return None


def check_package_name(value: str) -> str | None:
    if not (value.isascii() and value.isidentifier()):
        reason = (
            "it must be an ASCII Python identifier"
            " (letters, digits and underscores, not starting with a digit)"
        )
    elif keyword.iskeyword(value):
        reason = "it is a Python keyword"
    elif value in STDLIB_MODULE_NAMES:
        reason = "it would shadow the standard-library module of that name"
    elif value in PROJECT_MODULE_NAMES:
        reason = "it would shadow a module of that name that the project imports or installs"
    else:
        return None
    return f"Invalid package_name {quoted(value)}: {reason}."


def check_one_line(field: str, value: str) -> str | None:
    if not is_one_line(value):
        return f"Invalid {field} {quoted(value)}: it must be one line of text."
    return None


def is_email_address(value: str) -> bool:
    local, at, domain = value.partition("@")
    labels = domain.split(".")
    return bool(
        at
        and local
        and all(char in EMAIL_LOCAL_CHARACTERS for char in local)
        and not (local.startswith(".") or local.endswith(".") or ".." in local)
        and len(labels) >= 2
        and all(
            label
            and all(char in EMAIL_DOMAIN_CHARACTERS for char in label)
            and not (label.startswith("-") or label.endswith("-"))
            for label in labels
        )
    )


def check_author_email(value: str) -> str | None:
    if not is_email_address(value):
        return (
            f"Invalid author_email {quoted(value)}: it must be an e-mail address such as"
            " name@example.com (ASCII, one @, a dotted domain)."
        )
    return None


def check_copyright_year(value: str) -> str | None:
    if not (len(value) == 4 and value.isascii() and value.isdigit()):
        return f"Invalid copyright_year {quoted(value)}: it must be a four-digit year."
    return None


def check_shared_rules(field: str, value: str) -> str | None:
    """The rule every answer keeps, checked before its own."""
    if any(syntax in value for syntax in TEMPLATE_SYNTAX):
        return (
            f"Invalid {field} {quoted(value)}: it must not contain {{{{, {{% or {{#;"
            " answers are data, and cookiecutter and cruft would run such text as a template."
        )
    return None


def check_length(field: str, value: str) -> str | None:
    """The length limit, checked after the answer's own rule."""
    if len(value) > MAX_LENGTHS.get(field, len(value)):
        return (
            f"Invalid {field} {quoted(value)}: it must be at most {MAX_LENGTHS[field]} characters."
        )
    return None


FIELD_RULES = {
    "project_name": check_project_name,
    "project_slug": check_project_slug,
    "package_name": check_package_name,
    "description": lambda value: check_one_line("description", value),
    "author_name": lambda value: check_one_line("author_name", value),
    "author_email": check_author_email,
    "copyright_year": check_copyright_year,
}


def check_answer(field: str, value: str) -> str | None:
    """The first rule `value` breaks as the answer to `field`, as a message; None if none."""
    own_rule = FIELD_RULES.get(field)
    return (
        check_shared_rules(field, value)
        or (own_rule(value) if own_rule else None)
        or check_length(field, value)
    )


def problems(answers: dict[str, str]) -> list[str]:
    """Every broken rule, in question order; cookiecutter itself rejects choices off the list."""
    found = [check_answer(field, answers[field]) for field in FIELD_RULES]
    found += [
        check_shared_rules(field, value)
        for field, value in answers.items()
        if field not in FIELD_RULES and isinstance(value, str) and not field.startswith("_")
    ]
    return [message for message in found if message]


def main() -> None:
    # The answers arrive as a JSON literal.
    # {% endraw %}
    answers = json.loads(r"""{{ cookiecutter | tojson }}""")
    # {% raw %}
    messages = problems(answers)
    for message in messages:
        print(message, file=sys.stderr)
    sys.exit(1 if messages else 0)


if __name__ == "__main__":
    main()
# {% endraw %}
