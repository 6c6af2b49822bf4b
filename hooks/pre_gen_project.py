"""Check cookiecutter's answers before anything is written.

Cookiecutter runs this hook inside the new, still empty project directory before it writes any
file there; a non-zero exit makes it remove that directory again. Copier checks the same rules
with the `validator:` expressions in copier.yml and prints the same messages: the template's
tests hold the two to each other.
"""

import json
import keyword
import sys

# Cookiecutter renders this file before running it: the answers arrive as a JSON literal.
ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")

# The union of sys.stdlib_module_names over Python 3.11-3.13, as in copier.yml.
_STDLIB_MODULE_NAMES_TEXT = """
    __future__ _abc _aix_support _android_support _ast _asyncio _bisect _blake2 _bootsubprocess
    _bz2 _codecs _codecs_cn _codecs_hk _codecs_iso2022 _codecs_jp _codecs_kr _codecs_tw
    _collections _collections_abc _colorize _compat_pickle _compression _contextvars _crypt _csv
    _ctypes _curses _curses_panel _datetime _dbm _decimal _elementtree _frozen_importlib
    _frozen_importlib_external _functools _gdbm _hashlib _heapq _imp _interpchannels _interpqueues
    _interpreters _io _ios_support _json _locale _lsprof _lzma _markupbase _md5 _msi
    _multibytecodec _multiprocessing _opcode _opcode_metadata _operator _osx_support _overlapped
    _pickle _posixshmem _posixsubprocess _py_abc _pydatetime _pydecimal _pyio _pylong _pyrepl
    _queue _random _scproxy _sha1 _sha2 _sha256 _sha3 _sha512 _signal _sitebuiltins _socket
    _sqlite3 _sre _ssl _stat _statistics _string _strptime _struct _suggestions _symtable
    _sysconfig _thread _threading_local _tkinter _tokenize _tracemalloc _typing _uuid _warnings
    _weakref _weakrefset _winapi _wmi _zoneinfo abc aifc antigravity argparse array ast asynchat
    asyncio asyncore atexit audioop base64 bdb binascii bisect builtins bz2 cProfile calendar cgi
    cgitb chunk cmath cmd code codecs codeop collections colorsys compileall concurrent
    configparser contextlib contextvars copy copyreg crypt csv ctypes curses dataclasses datetime
    dbm decimal difflib dis distutils doctest email encodings ensurepip enum errno faulthandler
    fcntl filecmp fileinput fnmatch fractions ftplib functools gc genericpath getopt getpass
    gettext glob graphlib grp gzip hashlib heapq hmac html http idlelib imaplib imghdr imp
    importlib inspect io ipaddress itertools json keyword lib2to3 linecache locale logging lzma
    mailbox mailcap marshal math mimetypes mmap modulefinder msilib msvcrt multiprocessing netrc
    nis nntplib nt ntpath nturl2path numbers opcode operator optparse os ossaudiodev pathlib pdb
    pickle pickletools pipes pkgutil platform plistlib poplib posix posixpath pprint profile
    pstats pty pwd py_compile pyclbr pydoc pydoc_data pyexpat queue quopri random re readline
    reprlib resource rlcompleter runpy sched secrets select selectors shelve shlex shutil signal
    site smtpd smtplib sndhdr socket socketserver spwd sqlite3 sre_compile sre_constants sre_parse
    ssl stat statistics string stringprep struct subprocess sunau symtable sys sysconfig syslog
    tabnanny tarfile telnetlib tempfile termios textwrap this threading time timeit tkinter token
    tokenize tomllib trace traceback tracemalloc tty turtle turtledemo types typing unicodedata
    unittest urllib uu uuid venv warnings wave weakref webbrowser winreg winsound wsgiref xdrlib
    xml xmlrpc zipapp zipfile zipimport zlib zoneinfo
"""
STDLIB_MODULE_NAMES = frozenset(_STDLIB_MODULE_NAMES_TEXT.split())
ASCII_LOWER = "abcdefghijklmnopqrstuvwxyz"


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
    if not value.isidentifier():
        reason = (
            "it must be a Python identifier"
            " (letters, digits and underscores, not starting with a digit)"
        )
    elif keyword.iskeyword(value):
        reason = "it is a Python keyword"
    elif value in STDLIB_MODULE_NAMES:
        reason = "it would shadow the standard-library module of that name"
    elif value in ("tests", "test"):
        reason = "it is reserved for test packages"
    else:
        return None
    return f"Invalid package_name {quoted(value)}: {reason}."


def check_one_line(field: str, value: str) -> str | None:
    if not is_one_line(value):
        return f"Invalid {field} {quoted(value)}: it must be one line of text."
    return None


def check_author_email(value: str) -> str | None:
    if value.count("@") != 1 or value.split() != [value] or not is_one_line(value):
        return f"Invalid author_email {quoted(value)}: it must contain exactly one @ and no spaces."
    return None


def check_copyright_year(value: str) -> str | None:
    if not (len(value) == 4 and value.isascii() and value.isdigit()):
        return f"Invalid copyright_year {quoted(value)}: it must be a four-digit year."
    return None


def problems(answers: dict[str, str]) -> list[str]:
    """Every broken rule, in question order; cookiecutter itself rejects choices off the list."""
    found = [
        check_project_name(answers["project_name"]),
        check_project_slug(answers["project_slug"]),
        check_package_name(answers["package_name"]),
        check_one_line("description", answers["description"]),
        check_one_line("author_name", answers["author_name"]),
        check_author_email(answers["author_email"]),
        check_copyright_year(answers["copyright_year"]),
    ]
    return [message for message in found if message]


if __name__ == "__main__":
    messages = problems(ANSWERS)
    for message in messages:
        print(message, file=sys.stderr)
    sys.exit(1 if messages else 0)
